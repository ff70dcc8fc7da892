/**
 * Freezes a value and everything it holds. Memory read models hand out the objects they hold,
 * so a caller that tried to change one would throw rather than change what everyone else is shown.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
