/**
 * A stream's snapshot is its decider's state, stored beside each batch and read back without
 * replaying (shared/app/command-runner.ts): only while the state's shape is the one the
 * snapshot schema number names. A state type that changes shape without a bump of its
 * `*_SNAPSHOT_SCHEMA` would have old snapshots read as the new shape. This guard reads each
 * stream model's state type with the TypeScript compiler, draws its structure, and holds it
 * against the drawing recorded for that schema number: a change of shape fails until the
 * number is bumped (and the new drawing recorded with `vitest -u`).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogModel } from '../../shared/app/catalog-model.ts';
import { principalModel, tokenModel } from '../../shared/app/identity-service.ts';
import { runModel } from '../../shared/app/job-run-service.ts';
import { resourceModel } from '../../shared/app/resource-model.ts';
import { claimModel } from '../../shared/app/subdomain-claims.ts';
import { sshKeyClaimModel, sshKeysModel } from '../../shared/app/ssh-key-service.ts';
import { usageLimitsModel } from '../../shared/app/limit-service.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Each stream model: the file and function that build it, and the schema number it stores snapshots under. */
const MODELS = [
  { file: 'shared/app/resource-model.ts', fn: 'resourceModel', schema: resourceModel('r').snapshotSchema },
  { file: 'shared/app/job-run-service.ts', fn: 'runModel', schema: runModel('r').snapshotSchema },
  { file: 'shared/app/identity-service.ts', fn: 'principalModel', schema: principalModel('p').snapshotSchema },
  { file: 'shared/app/identity-service.ts', fn: 'tokenModel', schema: tokenModel('t').snapshotSchema },
  { file: 'shared/app/catalog-model.ts', fn: 'catalogModel', schema: catalogModel('c').snapshotSchema },
  { file: 'shared/app/subdomain-claims.ts', fn: 'claimModel', schema: claimModel('s').snapshotSchema },
  { file: 'shared/app/ssh-key-service.ts', fn: 'sshKeysModel', schema: sshKeysModel('u').snapshotSchema },
  { file: 'shared/app/ssh-key-service.ts', fn: 'sshKeyClaimModel', schema: sshKeyClaimModel('k').snapshotSchema },
  { file: 'shared/app/limit-service.ts', fn: 'usageLimitsModel', schema: usageLimitsModel().snapshotSchema },
];

const MAX_DEPTH = 12;

/** The structure of `type`: properties sorted, unions sorted, named object types drawn once per path. */
function drawing(checker: ts.TypeChecker, type: ts.Type, path: ReadonlySet<ts.Type> = new Set(), depth = 0): string {
  if (depth > MAX_DEPTH) return '…';
  if (type.isUnion()) return [...new Set(type.types.map((t) => drawing(checker, t, path, depth + 1)))].sort().join(' | ');
  if (type.isIntersection()) return type.types.map((t) => drawing(checker, t, path, depth + 1)).sort().join(' & ');
  if (checker.isArrayType(type)) return `Array<${drawing(checker, checker.getTypeArguments(type as ts.TypeReference)[0]!, path, depth + 1)}>`;
  if (checker.isTupleType(type)) return `[${checker.getTypeArguments(type as ts.TypeReference).map((t) => drawing(checker, t, path, depth + 1)).join(', ')}]`;
  if (!(type.flags & ts.TypeFlags.Object)) return checker.typeToString(type);
  if (path.has(type)) return `↺ ${checker.typeToString(type)}`;
  const inner = new Set(path).add(type);
  const members = checker.getPropertiesOfType(type).map((property) => {
    const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    const propertyType = declaration ? checker.getTypeOfSymbolAtLocation(property, declaration) : checker.getTypeOfSymbol(property);
    return `${property.name}${optional}: ${drawing(checker, propertyType, inner, depth + 1)}`;
  });
  const indexes = checker.getIndexInfosOfType(type).map((info) => `[key: ${checker.typeToString(info.keyType)}]: ${drawing(checker, info.type, inner, depth + 1)}`);
  if (members.length === 0 && indexes.length === 0 && type.getCallSignatures().length > 0) return 'function';
  return `{ ${[...members.sort(), ...indexes].join('; ')} }`;
}

/** The state type `S` of the `StreamModel<C, E, S>` that `fn` in `file` returns. */
function stateType(program: ts.Program, file: string, fn: string): { checker: ts.TypeChecker; type: ts.Type } {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(join(REPO, file));
  if (!source) throw new Error(`${file} is not in the program`);
  const declaration = source.statements.find((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === fn);
  if (!declaration) throw new Error(`${file} has no function ${fn}`);
  const signature = checker.getSignatureFromDeclaration(declaration)!;
  const model = checker.getReturnTypeOfSignature(signature) as ts.TypeReference;
  const args = checker.getTypeArguments(model);
  if (args.length !== 3) throw new Error(`${fn} does not return a StreamModel<Command, Event, State>`);
  return { checker, type: args[2]! };
}

let program: ts.Program;

beforeAll(() => {
  const config = ts.getParsedCommandLineOfConfigFile(join(REPO, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error('tsconfig.json could not be read');
  program = ts.createProgram([...new Set(MODELS.map((m) => join(REPO, m.file)))], config.options);
}, 60_000);

describe('snapshot schemas follow their state shapes', () => {
  it.each(MODELS)('$fn: the state stored under snapshot schema $schema keeps its shape', ({ file, fn, schema }) => {
    const { checker, type } = stateType(program, file, fn);
    expect(drawing(checker, type), `${fn}'s state changed shape: bump its snapshot schema number (${file}), then record the new shape with vitest -u`).toMatchSnapshot(`${fn} snapshot schema ${schema}`);
  });
});
