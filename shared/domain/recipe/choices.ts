/** The enumerations `GET /api/info/servers` advertises and recipes must use. */
export const AUTO_SHUTOFF_CHOICES = ['1 hour', '6 hours', '24 hours', '3 days', '7 days', 'Never'] as const;
export const DISK_SPACE_CHOICES = ['10Gi', '20Gi', '50Gi', '100Gi', '200Gi', '500Gi', '1000Gi'] as const;

export const DEFAULT_AUTO_SHUTOFF = '1 hour';
export const DEFAULT_DISK_SPACE = '10Gi';
