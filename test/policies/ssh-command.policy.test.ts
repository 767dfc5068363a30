import {
  DEFAULT_OBSERVABLE_UNITS,
  DEFAULT_RESTARTABLE_UNITS,
  DF_PATHS,
  NEVER_RESTARTED_UNITS,
  READABLE_FILES,
  SSH_COMMAND_SHAPES,
  evaluateSshCommand,
  kindForTier,
  SHELL_WORDS_MAX_LENGTH,
  SHELL_WORDS_MAX_WORDS,
  splitShellWords,
  type SshCommandDecision,
  type SshCommandDenyRuleId,
  type SshCommandOptions,
  type SshShapeId,
} from '@jarvis/policies';

/** What a safe argv word may hold: a remote shell gives none of these characters a meaning. */
const SAFE_WORD = /^[A-Za-z0-9._/-]+$/;
/** Audit reasons are printable ASCII: no control codes, no direction overrides copied from the input. */
const PRINTABLE = /^[\x20-\x7e]+$/;

function expectConsistent(decision: SshCommandDecision): void {
  expect(decision.kind).toBe(kindForTier(decision.tier));
  expect(decision.reason).toMatch(PRINTABLE);
  expect(Object.isFrozen(decision)).toBe(true);
  expect(Object.isFrozen(decision.argv)).toBe(true);
}

function expectDenied(decision: SshCommandDecision, ruleId: SshCommandDenyRuleId): void {
  expectConsistent(decision);
  expect({ kind: decision.kind, tier: decision.tier, ruleId: decision.ruleId, argv: decision.argv }).toEqual({
    kind: 'deny',
    tier: 'BLACK',
    ruleId,
    argv: [],
  });
}

// [command as typed, the shape it must match, the argv that must be sent (space-joined)].
// Written out rather than generated from the table, so a table change that widens or narrows a shape fails here.
const ALLOWED: Array<[string, SshShapeId, string]> = [
  ['sensors -j', 'sensors-json', 'sensors -j'],
  ['sensors', 'sensors', 'sensors'],
  ['hostname', 'hostname', 'hostname'],
  ['hostname -f', 'hostname-fqdn', 'hostname -f'],
  ['uptime', 'uptime', 'uptime'],
  ['uptime -p', 'uptime-pretty', 'uptime -p'],
  ['uptime -s', 'uptime-since', 'uptime -s'],
  ['uname -a', 'uname-all', 'uname -a'],
  ['uname -r', 'uname-release', 'uname -r'],
  ['date', 'date', 'date'],
  ['timedatectl status', 'timedatectl-status', 'timedatectl status'],
  ['chronyc tracking', 'chronyc-tracking', 'chronyc tracking'],
  ['chronyc sources', 'chronyc-sources', 'chronyc sources'],
  ['nproc', 'nproc', 'nproc'],
  ['lscpu', 'lscpu', 'lscpu'],
  ['lspci', 'lspci', 'lspci'],
  ['nvidia-smi', 'nvidia-smi', 'nvidia-smi'],
  ['free -m', 'free-mebi', 'free -m'],
  ['free -h', 'free-human', 'free -h'],
  ['df -h', 'df-human', 'df -h'],
  ['df -h /', 'df-human-path', 'df -h /'],
  ['df -h /boot/efi', 'df-human-path', 'df -h /boot/efi'],
  ['df -h /var/lib/vz', 'df-human-path', 'df -h /var/lib/vz'],
  ['df -h /etc/pve', 'df-human-path', 'df -h /etc/pve'],
  ['df -h /mnt/pve/nfs-backup', 'df-human-path', 'df -h /mnt/pve/nfs-backup'],
  ['df -h /mnt/pve/cephfs.2', 'df-human-path', 'df -h /mnt/pve/cephfs.2'],
  ['df -i', 'df-inodes', 'df -i'],
  ['cat /proc/loadavg', 'cat-file', 'cat /proc/loadavg'],
  ['cat /proc/meminfo', 'cat-file', 'cat /proc/meminfo'],
  ['cat /proc/cpuinfo', 'cat-file', 'cat /proc/cpuinfo'],
  ['cat /proc/uptime', 'cat-file', 'cat /proc/uptime'],
  ['cat /proc/version', 'cat-file', 'cat /proc/version'],
  ['cat /proc/mdstat', 'cat-file', 'cat /proc/mdstat'],
  ['cat /proc/pressure/cpu', 'cat-file', 'cat /proc/pressure/cpu'],
  ['cat /proc/pressure/memory', 'cat-file', 'cat /proc/pressure/memory'],
  ['cat /proc/pressure/io', 'cat-file', 'cat /proc/pressure/io'],
  ['cat /etc/pve/.version', 'cat-file', 'cat /etc/pve/.version'],
  ['cat /etc/pve/.members', 'cat-file', 'cat /etc/pve/.members'],
  ['cat /etc/pve/.vmlist', 'cat-file', 'cat /etc/pve/.vmlist'],
  ['cat /etc/os-release', 'cat-file', 'cat /etc/os-release'],
  ['cat /etc/debian_version', 'cat-file', 'cat /etc/debian_version'],
  ['cat /etc/hostname', 'cat-file', 'cat /etc/hostname'],
  ['pveversion', 'pveversion', 'pveversion'],
  ['pveversion -v', 'pveversion-verbose', 'pveversion -v'],
  ['pvecm status', 'pvecm-status', 'pvecm status'],
  ['pvecm nodes', 'pvecm-nodes', 'pvecm nodes'],
  ['corosync-cfgtool -s', 'corosync-links', 'corosync-cfgtool -s'],
  ['qm list', 'qm-list', 'qm list'],
  ['qm status 100', 'qm-status', 'qm status 100'],
  ['qm status 999999999', 'qm-status', 'qm status 999999999'],
  ['qm status 4242 --verbose', 'qm-status-verbose', 'qm status 4242 --verbose'],
  ['pct list', 'pct-list', 'pct list'],
  ['pct status 101', 'pct-status', 'pct status 101'],
  ['ha-manager status', 'ha-manager-status', 'ha-manager status'],
  ['ha-manager config', 'ha-manager-config', 'ha-manager config'],
  ['pvesm status', 'pvesm-status', 'pvesm status'],
  ['pve-firewall status', 'pve-firewall-status', 'pve-firewall status'],
  ['ceph status', 'ceph-status', 'ceph status'],
  ['ceph health', 'ceph-health', 'ceph health'],
  ['zpool status', 'zpool-status', 'zpool status'],
  ['zpool status -x', 'zpool-status-unhealthy', 'zpool status -x'],
  ['zpool status rpool', 'zpool-status-pool', 'zpool status rpool'],
  ['zpool status Tank_2.ssd', 'zpool-status-pool', 'zpool status Tank_2.ssd'],
  ['zpool list', 'zpool-list', 'zpool list'],
  ['zfs list', 'zfs-list', 'zfs list'],
  ['lsblk', 'lsblk', 'lsblk'],
  ['lsblk -f', 'lsblk-filesystems', 'lsblk -f'],
  ['pvs', 'pvs', 'pvs'],
  ['vgs', 'vgs', 'vgs'],
  ['lvs', 'lvs', 'lvs'],
  ['smartctl -H /dev/sda', 'smartctl-health', 'smartctl -H /dev/sda'],
  ['smartctl -H /dev/nvme0n1', 'smartctl-health', 'smartctl -H /dev/nvme0n1'],
  ['smartctl -i /dev/sdab', 'smartctl-info', 'smartctl -i /dev/sdab'],
  ['smartctl -A /dev/nvme10n2', 'smartctl-attributes', 'smartctl -A /dev/nvme10n2'],
  ['smartctl --scan', 'smartctl-scan', 'smartctl --scan'],
  ['ip -br addr', 'ip-addresses', 'ip -br addr'],
  ['ip -br link', 'ip-links', 'ip -br link'],
  ['ip route', 'ip-routes', 'ip route'],
  ['ss -tln', 'ss-listening', 'ss -tln'],
  ['systemctl status pveproxy', 'systemctl-status', 'systemctl status pveproxy'],
  ['systemctl status pveproxy.service', 'systemctl-status', 'systemctl status pveproxy'],
  ['systemctl status zfs-zed', 'systemctl-status', 'systemctl status zfs-zed'],
  ['systemctl status pve-guests', 'systemctl-status', 'systemctl status pve-guests'],
  ['systemctl is-active corosync', 'systemctl-is-active', 'systemctl is-active corosync'],
  ['systemctl is-enabled pve-firewall', 'systemctl-is-enabled', 'systemctl is-enabled pve-firewall'],
  ['systemctl is-failed pve-ha-lrm', 'systemctl-is-failed', 'systemctl is-failed pve-ha-lrm'],
  ['systemctl --failed', 'systemctl-failed', 'systemctl --failed'],
  ['journalctl -u pveproxy -n 50 --no-pager', 'journalctl-unit', 'journalctl -u pveproxy -n 50 --no-pager'],
  ['journalctl -u pve-cluster -n 1 --no-pager', 'journalctl-unit', 'journalctl -u pve-cluster -n 1 --no-pager'],
  ['journalctl -u corosync -n 500 --no-pager', 'journalctl-unit', 'journalctl -u corosync -n 500 --no-pager'],
  ['journalctl -u chrony.service -n 20 --no-pager', 'journalctl-unit', 'journalctl -u chrony -n 20 --no-pager'],
  ['journalctl -b -p err -n 100 --no-pager', 'journalctl-errors', 'journalctl -b -p err -n 100 --no-pager'],
  ['journalctl -k -n 200 --no-pager', 'journalctl-kernel', 'journalctl -k -n 200 --no-pager'],
  // Whitespace: the ends are trimmed and inner runs of spaces collapse; the argv is what is sent.
  ['  uptime  ', 'uptime', 'uptime'],
  ['qm   status    100', 'qm-status', 'qm status 100'],
  [' df -h  /var/log ', 'df-human-path', 'df -h /var/log'],
];

const RESTARTS: Array<[string, string]> = [
  ['systemctl restart pveproxy', 'systemctl restart pveproxy'],
  ['systemctl restart pvedaemon', 'systemctl restart pvedaemon'],
  ['systemctl restart pvestatd', 'systemctl restart pvestatd'],
  ['systemctl restart pve-cluster', 'systemctl restart pve-cluster'],
  ['systemctl restart corosync', 'systemctl restart corosync'],
  ['systemctl restart pve-ha-lrm', 'systemctl restart pve-ha-lrm'],
  ['systemctl restart pve-ha-crm', 'systemctl restart pve-ha-crm'],
  ['systemctl restart chrony', 'systemctl restart chrony'],
  ['systemctl restart ssh', 'systemctl restart ssh'],
  ['systemctl restart pveproxy.service', 'systemctl restart pveproxy'],
  [' systemctl  restart   pvedaemon ', 'systemctl restart pvedaemon'],
];

describe('evaluateSshCommand: allowed reads', () => {
  it.each(ALLOWED)('%j is allowed as %s', (command, shape, argv) => {
    const decision = evaluateSshCommand(command);
    expectConsistent(decision);
    expect(decision).toMatchObject({ kind: 'allow', tier: 'GREEN', ruleId: shape });
    expect(decision.argv).toEqual(argv.split(' '));
  });
});

describe('evaluateSshCommand: service restarts are changes that ask', () => {
  it('the default restart list is exactly the written-out one', () => {
    expect([...DEFAULT_RESTARTABLE_UNITS].sort()).toEqual(
      [
        'chrony',
        'corosync',
        'pve-cluster',
        'pve-ha-crm',
        'pve-ha-lrm',
        'pvedaemon',
        'pveproxy',
        'pvestatd',
        'ssh',
      ].sort(),
    );
  });

  it.each(RESTARTS)('%j asks', (command, argv) => {
    const decision = evaluateSshCommand(command);
    expectConsistent(decision);
    expect(decision).toMatchObject({ kind: 'ask', tier: 'YELLOW', ruleId: 'systemctl-restart' });
    expect(decision.argv).toEqual(argv.split(' '));
  });
});

describe('the shape table', () => {
  const examples = [...ALLOWED.map(([command]) => command), ...RESTARTS.map(([command]) => command)];
  const exercised = new Set(examples.map((command) => evaluateSshCommand(command).ruleId));

  it('has at least 50 distinct allowed shapes, with unique ids', () => {
    const ids = SSH_COMMAND_SHAPES.map((shape) => shape.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(SSH_COMMAND_SHAPES.filter((shape) => shape.tier === 'GREEN').length).toBeGreaterThanOrEqual(50);
  });

  it('every shape is exercised by at least one allowed example, and every example names a real shape', () => {
    const ids = SSH_COMMAND_SHAPES.map((shape) => shape.id);
    expect(ids.filter((id) => !exercised.has(id))).toEqual([]);
    expect([...exercised].filter((id) => !(ids as string[]).includes(id))).toEqual([]);
  });

  it('every readable file and every fixed df path has an allowed example', () => {
    for (const file of READABLE_FILES) expect(evaluateSshCommand(`cat ${file}`).kind).toBe('allow');
    for (const path of DF_PATHS) expect(evaluateSshCommand(`df -h ${path}`).kind).toBe('allow');
    expect(ALLOWED.filter(([, shape]) => shape === 'cat-file')).toHaveLength(READABLE_FILES.length);
  });

  it('only the restart shape is a change; every other shape is a read', () => {
    expect(SSH_COMMAND_SHAPES.filter((shape) => shape.tier !== 'GREEN').map((shape) => shape.id)).toEqual([
      'systemctl-restart',
    ]);
  });

  it('every fixed word of every shape would itself pass the tokenizer', () => {
    for (const shape of SSH_COMMAND_SHAPES)
      for (const word of shape.words)
        if (typeof word === 'string') {
          expect(word).toMatch(SAFE_WORD);
          expect(word).not.toContain('..');
        }
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(SSH_COMMAND_SHAPES)).toBe(true);
    for (const shape of SSH_COMMAND_SHAPES) {
      expect(Object.isFrozen(shape)).toBe(true);
      expect(Object.isFrozen(shape.words)).toBe(true);
      for (const word of shape.words) if (typeof word !== 'string') expect(Object.isFrozen(word)).toBe(true);
    }
    for (const list of [DEFAULT_RESTARTABLE_UNITS, DEFAULT_OBSERVABLE_UNITS, READABLE_FILES, DF_PATHS])
      expect(Object.isFrozen(list)).toBe(true);
    expect(Object.isFrozen(NEVER_RESTARTED_UNITS)).toBe(true);
    expect(() => (SSH_COMMAND_SHAPES as unknown[]).push({})).toThrow(TypeError);
    expect(() => (READABLE_FILES as string[]).push('/etc/shadow')).toThrow(TypeError);
    expect(() => (DEFAULT_RESTARTABLE_UNITS as string[]).push('pve-guests')).toThrow(TypeError);
    expect(evaluateSshCommand('cat /etc/shadow').kind).toBe('deny');
  });

  it('no default restartable unit is on the never-restart list', () => {
    expect(DEFAULT_RESTARTABLE_UNITS.filter((unit) => unit in NEVER_RESTARTED_UNITS)).toEqual([]);
  });
});

describe('allowed argv is safe by construction', () => {
  const examples = [...ALLOWED.map(([command]) => command), ...RESTARTS.map(([command]) => command)];

  it.each(examples)('%j: every word is plain, and re-evaluating the joined argv gives the same decision', (command) => {
    const decision = evaluateSshCommand(command);
    expect(decision.kind).not.toBe('deny');
    for (const word of decision.argv) expect(word).toMatch(SAFE_WORD);
    expect(evaluateSshCommand(decision.argv.join(' '))).toEqual(decision);
  });

  it('returns the same decision for the same input (no hidden state)', () => {
    const first = evaluateSshCommand('systemctl restart pveproxy');
    evaluateSshCommand('systemctl restart my-app', { extraRestartableUnits: ['my-app'] });
    expect(evaluateSshCommand('systemctl restart pveproxy')).toEqual(first);
    expect(evaluateSshCommand('systemctl restart my-app').kind).toBe('deny');
  });
});

const LONG = 'uptime' + ' '.repeat(SHELL_WORDS_MAX_LENGTH + 1 - 'uptime'.length);

// [description, command, the rule that must refuse it].
const DENIED: Array<[string, string, SshCommandDenyRuleId]> = [
  // Chaining
  ['semicolon', 'hostname; reboot', 'shell-chaining'],
  ['semicolon without space', 'systemctl restart pveproxy;reboot', 'shell-chaining'],
  ['and-list', 'uptime && rm -rf /', 'shell-chaining'],
  ['or-list', 'uptime || x', 'shell-chaining'],
  ['pipe', 'uptime | sh', 'shell-chaining'],
  ['pipe without spaces', 'qm list|sh', 'shell-chaining'],
  ['background', 'uptime &', 'shell-chaining'],
  ['background then command', 'uptime & reboot', 'shell-chaining'],
  ['restart then reboot', 'systemctl restart sshd; reboot', 'shell-chaining'],
  ['allowed restart then reboot', 'systemctl restart pveproxy; reboot', 'shell-chaining'],
  ['pipe stderr', 'uptime |& sh', 'shell-chaining'],
  // Substitution and grouping
  ['command substitution', '$(reboot)', 'shell-substitution'],
  ['backticks', '`reboot`', 'shell-substitution'],
  ['substitution in an argument', 'qm status $(reboot)', 'shell-substitution'],
  ['backticks in an argument', 'cat `echo /etc/shadow`', 'shell-substitution'],
  ['variable', 'cat $HOME', 'shell-substitution'],
  ['IFS trick', 'cat${IFS}/etc/shadow', 'shell-substitution'],
  ['arithmetic', 'qm status $((99+1))', 'shell-substitution'],
  ['subshell', '(reboot)', 'shell-substitution'],
  ['group', '{ reboot; }', 'shell-substitution'],
  ['brace expansion', 'cat /proc/{loadavg,meminfo}', 'shell-substitution'],
  ['function definition', 'uptime() reboot', 'shell-substitution'],
  // Redirection
  ['output redirect', 'uptime > /etc/passwd', 'shell-redirect'],
  ['append redirect', 'uptime >> /etc/passwd', 'shell-redirect'],
  ['stderr to stdout', 'uptime 2>&1', 'shell-redirect'],
  ['bare input redirect', '< /etc/passwd', 'shell-redirect'],
  ['input redirect', 'cat </etc/shadow', 'shell-redirect'],
  ['tcp redirect', 'uptime >/dev/tcp/127.0.0.1/4444', 'shell-redirect'],
  ['here-doc', 'cat /proc/loadavg <<EOF', 'shell-redirect'],
  ['process substitution', 'cat <(reboot)', 'shell-redirect'],
  // Globbing
  ['star', 'cat /proc/*', 'shell-glob'],
  ['question mark', 'cat /proc/loadav?', 'shell-glob'],
  ['character class', 'cat /proc/[l]oadavg', 'shell-glob'],
  ['glob as unit', 'systemctl restart pve*', 'shell-glob'],
  ['test bracket', '[ -f /etc/shadow ]', 'shell-glob'],
  // Quotes and escapes
  ['single quotes', "sh -c 'x'", 'shell-quote'],
  ['double quotes', 'bash -c "reboot"', 'shell-quote'],
  ['quoted program', '"uptime"', 'shell-quote'],
  ['empty quotes inside a word', "up''time", 'shell-quote'],
  ['quoted unit', "systemctl restart 'pveproxy'", 'shell-quote'],
  ['ANSI-C quoting', "$'\\x72eboot'", 'shell-substitution'],
  ['backslash inside a word', 'up\\time', 'shell-escape'],
  ['backslash-newline', 'uptime \\\nreboot', 'shell-escape'],
  ['trailing backslash', 'uptime\\', 'shell-escape'],
  ['escaped space', 'cat /proc/load\\ avg', 'shell-escape'],
  // Other shell specials
  ['history expansion', '!!', 'shell-special'],
  ['tilde', 'cat ~/.ssh/id_rsa', 'shell-special'],
  ['comment', 'uptime # and more', 'shell-special'],
  ['env assignment', 'FOO=1 uptime', 'shell-special'],
  ['PATH assignment', 'PATH=/tmp uptime', 'shell-special'],
  ['flag with value', 'journalctl --vacuum-size=1M', 'shell-special'],
  ['dd style', 'dd if=/dev/zero of=/dev/sda', 'shell-special'],
  // Characters with no meaning here
  ['user at host', 'ssh root@127.0.0.1 reboot', 'disallowed-character'],
  ['colon in an HA id', 'ha-manager set vm:100 --state disabled', 'disallowed-character'],
  ['comma', 'lsblk -o NAME,SIZE', 'disallowed-character'],
  ['percent', 'uptime %1', 'disallowed-character'],
  ['caret', 'uptime ^', 'disallowed-character'],
  ['plus', 'journalctl -u pveproxy -n +5 --no-pager', 'disallowed-character'],
  // Control characters
  ['tab between words', 'uptime\treboot', 'control-character'],
  ['leading tab', '\tuptime', 'control-character'],
  ['newline', 'uptime\nreboot', 'control-character'],
  ['trailing newline', 'uptime\n', 'control-character'],
  ['carriage return', 'uptime\r', 'control-character'],
  ['CRLF', 'uptime\r\nreboot', 'control-character'],
  ['NUL at the end', 'uptime\0', 'control-character'],
  ['NUL inside', 'up\0time', 'control-character'],
  ['NUL then command', 'uptime\0reboot', 'control-character'],
  ['escape sequence', '\x1b[2Juptime', 'control-character'],
  ['DEL', 'uptime\x7f', 'control-character'],
  ['vertical tab', 'uptime\v', 'control-character'],
  ['form feed', 'uptime\f', 'control-character'],
  ['bell', 'uptime\x07', 'control-character'],
  // Unicode look-alikes and invisibles
  ['Cyrillic shha', '\u04bbostname', 'non-ascii'],
  ['Ukrainian i', 'upt\u0456me', 'non-ascii'],
  ['Cyrillic o in a path', 'cat /proc/l\u043eadavg', 'non-ascii'],
  ['Cyrillic e in a unit', 'systemctl restart pv\u0435proxy', 'non-ascii'],
  ['full-width program', '\uff55\uff50\uff54\uff49\uff4d\uff45', 'non-ascii'],
  ['full-width digits', 'qm status \uff11\uff10\uff10', 'non-ascii'],
  ['full-width ampersands', 'uptime \uff06\uff06 reboot', 'non-ascii'],
  ['Greek question mark (looks like ;)', 'uptime\u037e reboot', 'non-ascii'],
  ['zero-width space', 'upt\u200bime', 'non-ascii'],
  ['zero-width joiner', 'uptime\u200d', 'non-ascii'],
  ['zero-width non-joiner', 'host\u200cname', 'non-ascii'],
  ['RTL override', '\u202euptime', 'non-ascii'],
  ['RTL override inside a VMID', 'qm status 1\u202e001', 'non-ascii'],
  ['LTR isolate', 'uptime \u2066-p\u2069', 'non-ascii'],
  ['byte-order mark', '\ufeffuptime', 'non-ascii'],
  ['no-break space', 'uptime\u00a0-p', 'non-ascii'],
  ['ideographic space', 'uptime\u3000', 'non-ascii'],
  ['line separator', 'uptime\u2028reboot', 'non-ascii'],
  ['Unicode hyphen', 'smartctl \u2010H /dev/sda', 'non-ascii'],
  ['en dash flag', 'uptime \u2013p', 'non-ascii'],
  ['full-width solidus', 'cat \uff0fproc\uff0floadavg', 'non-ascii'],
  ['emoji', 'uptime \u{1f600}', 'non-ascii'],
  ['lone surrogate', 'uptime\ud800', 'non-ascii'],
  ['Latin-1 letter', 'upt\u00efme', 'non-ascii'],
  // Path traversal
  ['dot-dot out of /proc', 'cat /proc/../etc/shadow', 'path-traversal'],
  ['dot-dot in a df path', 'df -h /../../etc', 'path-traversal'],
  ['dot-dot in a device', 'smartctl -H /dev/../dev/sda', 'path-traversal'],
  ['dot-dot back into an allowed file', 'cat /etc/pve/../pve/.version', 'path-traversal'],
  ['relative dot-dot', 'cat ../../etc/shadow', 'path-traversal'],
  ['dot-dot as a pool', 'zpool status ..', 'path-traversal'],
  ['dot-dot under /mnt/pve', 'df -h /mnt/pve/..', 'path-traversal'],
  ['dot-dot in a unit', 'systemctl status ..pveproxy', 'path-traversal'],
  // Paths off the list
  ['shadow', 'cat /etc/shadow', 'path-not-allowed'],
  ['passwd', 'cat /etc/passwd', 'path-not-allowed'],
  ['cluster auth key', 'cat /etc/pve/priv/authkey.key', 'path-not-allowed'],
  ['corosync config', 'cat /etc/pve/corosync.conf', 'path-not-allowed'],
  ['process environment', 'cat /proc/self/environ', 'path-not-allowed'],
  ['kernel memory', 'cat /proc/kcore', 'path-not-allowed'],
  ['trailing slash', 'cat /proc/loadavg/', 'path-not-allowed'],
  ['double slash', 'cat //proc/loadavg', 'path-not-allowed'],
  ['dot segment', 'cat /proc/./loadavg', 'path-not-allowed'],
  ['relative path', 'cat proc/loadavg', 'path-not-allowed'],
  ['uppercase path', 'cat /PROC/LOADAVG', 'path-not-allowed'],
  ['df on a file', 'df -h /etc/shadow', 'path-not-allowed'],
  ['df on /mnt/pve itself', 'df -h /mnt/pve/', 'path-not-allowed'],
  ['df below a storage', 'df -h /mnt/pve/x/y', 'path-not-allowed'],
  ['df on an uppercase storage', 'df -h /mnt/pve/Backup', 'path-not-allowed'],
  ['df on a relative path', 'df -h var', 'path-not-allowed'],
  ['smartctl on memory', 'smartctl -H /dev/mem', 'path-not-allowed'],
  ['smartctl on a partition', 'smartctl -H /dev/sda1', 'path-not-allowed'],
  ['smartctl on an uppercase disk', 'smartctl -H /dev/sdA', 'path-not-allowed'],
  ['smartctl on a bare name', 'smartctl -H sda', 'path-not-allowed'],
  ['smartctl on an NVMe controller', 'smartctl -H /dev/nvme0', 'path-not-allowed'],
  // Programs off the list
  ['reboot', 'reboot', 'unknown-program'],
  ['rm', 'rm -rf /', 'unknown-program'],
  ['sudo', 'sudo uptime', 'unknown-program'],
  ['su', 'su -c uptime', 'unknown-program'],
  ['bash -c', 'bash -c uptime', 'unknown-program'],
  ['sh -c', 'sh -c uptime', 'unknown-program'],
  ['env', 'env uptime', 'unknown-program'],
  ['exec', 'exec uptime', 'unknown-program'],
  ['eval', 'eval uptime', 'unknown-program'],
  ['xargs', 'xargs reboot', 'unknown-program'],
  ['nohup', 'nohup uptime', 'unknown-program'],
  ['timeout', 'timeout 5 uptime', 'unknown-program'],
  ['command builtin', 'command uptime', 'unknown-program'],
  ['pvesh read', 'pvesh get /nodes', 'unknown-program'],
  ['pvesh stopall', 'pvesh create /nodes/pve/stopall', 'unknown-program'],
  ['shutdown', 'shutdown -h now', 'unknown-program'],
  ['poweroff', 'poweroff', 'unknown-program'],
  ['init 0', 'init 0', 'unknown-program'],
  ['kill', 'kill -9 1', 'unknown-program'],
  ['ssh hop', 'ssh 127.0.0.1 reboot', 'unknown-program'],
  ['curl', 'curl http/127.0.0.1', 'unknown-program'],
  ['python', 'python3 -c x', 'unknown-program'],
  ['vzdump', 'vzdump 100', 'unknown-program'],
  ['pveperf writes to disk', 'pveperf', 'unknown-program'],
  ['mkfs', 'mkfs.ext4 /dev/sda', 'unknown-program'],
  ['absolute program path', '/usr/bin/uptime', 'unknown-program'],
  ['relative program path', './uptime', 'unknown-program'],
  ['option as program', '-uptime', 'unknown-program'],
  ['double dash as program', '-- uptime', 'unknown-program'],
  ['uppercase program', 'UPTIME', 'unknown-program'],
  ['capitalised program', 'Hostname', 'unknown-program'],
  ['uppercase systemctl', 'SYSTEMCTL restart pveproxy', 'unknown-program'],
  ['program suffix', 'uptimex', 'unknown-program'],
  // systemctl: only inspect, or restart an allowlisted unit
  ['stop', 'systemctl stop pveproxy', 'unknown-shape'],
  ['start', 'systemctl start pveproxy', 'unknown-shape'],
  ['disable', 'systemctl disable pveproxy', 'unknown-shape'],
  ['enable', 'systemctl enable pveproxy', 'unknown-shape'],
  ['mask', 'systemctl mask pveproxy', 'unknown-shape'],
  ['kill', 'systemctl kill pveproxy', 'unknown-shape'],
  ['reload', 'systemctl reload pveproxy', 'unknown-shape'],
  ['try-restart', 'systemctl try-restart pveproxy', 'unknown-shape'],
  ['daemon-reload', 'systemctl daemon-reload', 'unknown-shape'],
  ['isolate', 'systemctl isolate rescue.target', 'unknown-shape'],
  ['systemctl reboot', 'systemctl reboot', 'unknown-shape'],
  ['systemctl poweroff', 'systemctl poweroff', 'unknown-shape'],
  ['edit', 'systemctl edit pveproxy', 'unknown-shape'],
  ['uppercase verb', 'systemctl RESTART pveproxy', 'unknown-shape'],
  ['capitalised verb', 'systemctl Restart pveproxy', 'unknown-shape'],
  ['remote host flag', 'systemctl -H 127.0.0.1 restart pveproxy', 'unknown-shape'],
  ['now flag first', 'systemctl --now restart pveproxy', 'unknown-shape'],
  ['bare systemctl', 'systemctl', 'unknown-shape'],
  ['status without a unit', 'systemctl status', 'unknown-shape'],
  ['restart without a unit', 'systemctl restart', 'unknown-shape'],
  ['two units', 'systemctl restart pveproxy pvedaemon', 'unknown-shape'],
  ['status of two units', 'systemctl status pveproxy pvedaemon', 'unknown-shape'],
  ['double dash before unit', 'systemctl restart -- pveproxy', 'option-injection'],
  ['double dash in status', 'systemctl status -- pveproxy', 'option-injection'],
  ['option as unit', 'systemctl status -l', 'option-injection'],
  ['uppercase unit', 'systemctl restart PVEPROXY', 'invalid-argument'],
  ['socket unit', 'systemctl restart pveproxy.socket', 'invalid-argument'],
  ['reboot target', 'systemctl restart reboot.target', 'invalid-argument'],
  ['double suffix', 'systemctl restart pveproxy.service.service', 'invalid-argument'],
  ['template instance', 'systemctl restart pve-container.100', 'invalid-argument'],
  ['root slice', 'systemctl restart .slice', 'invalid-argument'],
  ['trailing hyphen', 'systemctl restart pveproxy-', 'invalid-argument'],
  ['unit off the list', 'systemctl restart evil-unit', 'unit-not-allowed'],
  ['sshd alias', 'systemctl restart sshd', 'unit-not-allowed'],
  ['pve-guests', 'systemctl restart pve-guests', 'unit-not-allowed'],
  ['watchdog-mux', 'systemctl restart watchdog-mux', 'unit-not-allowed'],
  ['lxcfs', 'systemctl restart lxcfs', 'unit-not-allowed'],
  ['networking', 'systemctl restart networking', 'unit-not-allowed'],
  ['inspectable but not restartable', 'systemctl restart pve-firewall', 'unit-not-allowed'],
  ['status of an unknown unit', 'systemctl status evil-unit', 'unit-not-allowed'],
  ['status of the container daemon', 'systemctl status docker', 'unit-not-allowed'],
  ['prototype name', 'systemctl restart constructor', 'unit-not-allowed'],
  ['proto name', 'systemctl status __proto__', 'invalid-argument'],
  // journalctl
  ['too many lines', 'journalctl -u pveproxy -n 99999 --no-pager', 'argument-out-of-range'],
  ['too many lines without --no-pager', 'journalctl -u pveproxy -n 99999', 'argument-out-of-range'],
  ['501 lines', 'journalctl -u pveproxy -n 501 --no-pager', 'argument-out-of-range'],
  ['zero lines', 'journalctl -u pveproxy -n 0 --no-pager', 'argument-out-of-range'],
  ['kernel lines too many', 'journalctl -k -n 100000 --no-pager', 'argument-out-of-range'],
  ['leading zero', 'journalctl -u pveproxy -n 050 --no-pager', 'invalid-argument'],
  ['exponent', 'journalctl -u pveproxy -n 1e3 --no-pager', 'invalid-argument'],
  ['word as count', 'journalctl -u pveproxy -n all --no-pager', 'invalid-argument'],
  ['huge count', 'journalctl -u pveproxy -n 99999999999999999999 --no-pager', 'invalid-argument'],
  ['option as unit', 'journalctl -u -f', 'option-injection'],
  ['negative count', 'journalctl -u pveproxy -n -5 --no-pager', 'option-injection'],
  ['flag in the count slot', 'journalctl -u pveproxy -n --no-pager', 'option-injection'],
  ['follow', 'journalctl -f', 'unknown-shape'],
  ['missing --no-pager', 'journalctl -u pveproxy -n 50', 'unknown-shape'],
  ['trailing follow', 'journalctl -u pveproxy -n 50 --no-pager -f', 'unknown-shape'],
  ['trailing double dash', 'journalctl -u pveproxy -n 50 --no-pager --', 'unknown-shape'],
  ['reordered flags', 'journalctl -n 50 -u pveproxy --no-pager', 'unknown-shape'],
  ['rotate', 'journalctl --rotate', 'unknown-shape'],
  ['whole journal', 'journalctl', 'unknown-shape'],
  ['unit off the list', 'journalctl -u sshd -n 10 --no-pager', 'unit-not-allowed'],
  ['other priority', 'journalctl -b -p debug -n 10 --no-pager', 'unknown-shape'],
  // qm / pct: power goes through the API, VMIDs are checked
  ['qm stop', 'qm stop 100', 'unknown-shape'],
  ['qm start', 'qm start 100', 'unknown-shape'],
  ['qm shutdown', 'qm shutdown 100', 'unknown-shape'],
  ['qm reboot', 'qm reboot 100', 'unknown-shape'],
  ['qm destroy', 'qm destroy 100', 'unknown-shape'],
  ['qm set', 'qm set 100 -onboot 1', 'unknown-shape'],
  ['qm terminal', 'qm terminal 100', 'unknown-shape'],
  ['qm monitor', 'qm monitor 100', 'unknown-shape'],
  ['qm guest exec', 'qm guest exec 100 reboot', 'unknown-shape'],
  ['qm unlock', 'qm unlock 100', 'unknown-shape'],
  ['qm migrate', 'qm migrate 100 pve2', 'unknown-shape'],
  ['qm config', 'qm config 100', 'unknown-shape'],
  ['pct stop', 'pct stop 100', 'unknown-shape'],
  ['pct enter', 'pct enter 100', 'unknown-shape'],
  ['pct exec', 'pct exec 100 reboot', 'unknown-shape'],
  ['pct destroy', 'pct destroy 100', 'unknown-shape'],
  ['uppercase subcommand', 'qm LIST', 'unknown-shape'],
  ['qm list with a flag', 'qm list --full', 'unknown-shape'],
  ['status without a VMID', 'qm status', 'unknown-shape'],
  ['two VMIDs', 'qm status 100 100', 'unknown-shape'],
  ['unknown trailing flag', 'qm status 100 --verbose --x', 'unknown-shape'],
  ['VMID too small', 'qm status 12', 'argument-out-of-range'],
  ['VMID 99', 'qm status 99', 'argument-out-of-range'],
  ['VMID too large', 'qm status 1000000000', 'argument-out-of-range'],
  ['container VMID too small', 'pct status 12', 'argument-out-of-range'],
  ['VMID with letters', 'qm status 100abc', 'invalid-argument'],
  ['VMID with leading zero', 'qm status 0100', 'invalid-argument'],
  ['hex VMID', 'qm status 0x64', 'invalid-argument'],
  ['exponent VMID', 'qm status 1e3', 'invalid-argument'],
  ['decimal VMID', 'qm status 100.0', 'invalid-argument'],
  ['VMID past safe integers', 'qm status 99999999999999999999', 'invalid-argument'],
  ['negative VMID', 'qm status -1', 'option-injection'],
  ['flag before VMID', 'qm status --verbose 100', 'option-injection'],
  // Reads whose extra arguments would change something or wander off
  ['set the host name', 'hostname evil', 'unknown-shape'],
  ['set the host name from a file', 'hostname -F /etc/shadow', 'unknown-shape'],
  ['set the clock', 'date 010100002030', 'unknown-shape'],
  ['set the clock by flag', 'date -s 2030-01-01', 'unknown-shape'],
  ['timedatectl set-time', 'timedatectl set-time 2030-01-01', 'unknown-shape'],
  ['chronyc makestep', 'chronyc makestep', 'unknown-shape'],
  ['sensors set', 'sensors -s', 'unknown-shape'],
  ['sensors uppercase flag', 'sensors -J', 'unknown-shape'],
  ['uname extra flag', 'uname -a -x', 'unknown-shape'],
  ['uptime extra word', 'uptime -p extra', 'unknown-shape'],
  ['free that loops', 'free -m -s 1', 'unknown-shape'],
  ['nvidia-smi reset', 'nvidia-smi -r', 'unknown-shape'],
  ['pveversion long flag', 'pveversion --verbose', 'unknown-shape'],
  ['df option in the path slot', 'df -h -x tmpfs', 'option-injection'],
  ['df unknown flag', 'df --output', 'unknown-shape'],
  ['cat option', 'cat -n /proc/loadavg', 'option-injection'],
  ['cat double dash', 'cat -- /proc/loadavg', 'option-injection'],
  ['cat two files', 'cat /proc/loadavg /etc/shadow', 'unknown-shape'],
  ['bare cat', 'cat', 'unknown-shape'],
  ['zpool scrub', 'zpool scrub rpool', 'unknown-shape'],
  ['zpool destroy', 'zpool destroy rpool', 'unknown-shape'],
  ['zpool clear', 'zpool clear rpool', 'unknown-shape'],
  ['zpool export', 'zpool export rpool', 'unknown-shape'],
  ['zpool upgrade', 'zpool upgrade -a', 'unknown-shape'],
  ['zpool status option', 'zpool status -v', 'option-injection'],
  ['zpool status two pools', 'zpool status rpool tank', 'unknown-shape'],
  ['zpool status on a device', 'zpool status /dev/sda', 'invalid-argument'],
  ['zfs destroy', 'zfs destroy rpool/data', 'unknown-shape'],
  ['zfs rollback', 'zfs rollback rpool/data', 'unknown-shape'],
  ['smartctl self-test', 'smartctl -t long /dev/sda', 'unknown-shape'],
  ['smartctl SMART off', 'smartctl -s off /dev/sda', 'unknown-shape'],
  ['smartctl without a disk', 'smartctl -H', 'unknown-shape'],
  ['smartctl option in the disk slot', 'smartctl -H -d /dev/sda', 'option-injection'],
  ['smartctl scan-open', 'smartctl --scan-open', 'unknown-shape'],
  ['ip link down', 'ip link set vmbr0 down', 'unknown-shape'],
  ['ip addr flush', 'ip -br addr flush dev vmbr0', 'unknown-shape'],
  ['ip route add', 'ip route add default via 127.0.0.1', 'unknown-shape'],
  ['ss kill', 'ss -K', 'unknown-shape'],
  ['pvecm expected', 'pvecm expected 1', 'unknown-shape'],
  ['pvecm delnode', 'pvecm delnode pve2', 'unknown-shape'],
  ['ha-manager crm-command', 'ha-manager crm-command stop', 'unknown-shape'],
  ['ha-manager remove', 'ha-manager remove 100', 'unknown-shape'],
  ['pve-firewall stop', 'pve-firewall stop', 'unknown-shape'],
  ['ceph osd out', 'ceph osd out 0', 'unknown-shape'],
  ['lsblk option', 'lsblk -f -o', 'unknown-shape'],
  // Size and emptiness
  ['empty string', '', 'empty'],
  ['only spaces', '   ', 'empty'],
  ['513 characters', LONG, 'too-long'],
  ['far too long', `uptime ${'-p '.repeat(1000)}`, 'too-long'],
  ['too many words', `uptime${' -p'.repeat(SHELL_WORDS_MAX_WORDS)}`, 'too-many-words'],
];

describe('evaluateSshCommand: the adversarial corpus', () => {
  it('covers every deny rule at least once', () => {
    const rules = new Set(DENIED.map(([, , rule]) => rule));
    const expected: SshCommandDenyRuleId[] = [
      'empty',
      'too-long',
      'too-many-words',
      'non-ascii',
      'control-character',
      'shell-chaining',
      'shell-redirect',
      'shell-substitution',
      'shell-glob',
      'shell-quote',
      'shell-escape',
      'shell-special',
      'disallowed-character',
      'path-traversal',
      'unknown-program',
      'unknown-shape',
      'option-injection',
      'invalid-argument',
      'argument-out-of-range',
      'unit-not-allowed',
      'path-not-allowed',
    ];
    expect(expected.filter((rule) => !rules.has(rule))).toEqual([]);
  });

  it.each(DENIED)('%s: %j is denied by %s', (_label, command, ruleId) => {
    expectDenied(evaluateSshCommand(command), ruleId);
  });
});

describe('evaluateSshCommand: injection around every allowed example', () => {
  const examples = [...ALLOWED.map(([command]) => command), ...RESTARTS.map(([command]) => command)];
  // None of these turns one allowed command into another allowed command.
  const suffixes = [
    '; reboot',
    ';reboot',
    ' && reboot',
    ' || reboot',
    ' | sh',
    ' & reboot',
    '&',
    ' $(reboot)',
    ' `reboot`',
    ' > /tmp/x',
    ' >> /etc/passwd',
    ' 2>&1',
    ' < /etc/passwd',
    ' # comment',
    '\nreboot',
    '\n',
    '\r',
    '\treboot',
    '\0',
    ' \\',
    "'",
    '"',
    ' *',
    '\u200b',
    '\u202e',
    '\uff1b reboot',
    ' --',
    ' 0',
    ' ../x',
  ];
  const prefixes = ['sudo ', 'FOO=1 ', 'env ', 'exec ', '\u200b', '\ufeff', '\t', 'reboot; ', 'nice ', '-- ', '\\'];

  it.each(suffixes)('appending %j to any allowed command is denied', (suffix) => {
    const leaked = examples
      .map((command) => command + suffix)
      .filter((command) => evaluateSshCommand(command).kind !== 'deny');
    expect(leaked).toEqual([]);
  });

  it.each(prefixes)('prefixing %j to any allowed command is denied', (prefix) => {
    const leaked = examples
      .map((command) => prefix + command)
      .filter((command) => evaluateSshCommand(command).kind !== 'deny');
    expect(leaked).toEqual([]);
  });

  it('the uppercase form of every allowed command is denied', () => {
    const leaked = examples
      .map((command) => command.toUpperCase())
      .filter((command) => evaluateSshCommand(command).kind !== 'deny');
    expect(leaked).toEqual([]);
  });

  it('replacing any one space with a tab, a newline or a no-break space is denied', () => {
    const leaked: string[] = [];
    for (const command of examples)
      for (let at = command.indexOf(' '); at !== -1; at = command.indexOf(' ', at + 1))
        for (const separator of ['\t', '\n', '\u00a0', '\u2009'])
          if (evaluateSshCommand(command.slice(0, at) + separator + command.slice(at + 1)).kind !== 'deny')
            leaked.push(JSON.stringify(command));
    expect(leaked).toEqual([]);
  });
});

describe('evaluateSshCommand: boundaries and odd input', () => {
  it('accepts exactly 512 characters and refuses 513', () => {
    const exact = 'uptime' + ' '.repeat(SHELL_WORDS_MAX_LENGTH - 'uptime'.length);
    expect(exact).toHaveLength(512);
    expect(evaluateSshCommand(exact)).toMatchObject({ kind: 'allow', argv: ['uptime'] });
    expect(LONG).toHaveLength(513);
    expectDenied(evaluateSshCommand(LONG), 'too-long');
  });

  it('accepts the most words a shape has, and refuses one word over the limit', () => {
    expect(evaluateSshCommand('journalctl -b -p err -n 10 --no-pager').kind).toBe('allow');
    const words = splitShellWords(`a${' b'.repeat(SHELL_WORDS_MAX_WORDS - 1)}`);
    expect(words.ok && words.words.length).toBe(SHELL_WORDS_MAX_WORDS);
    expect(splitShellWords(`a${' b'.repeat(SHELL_WORDS_MAX_WORDS)}`)).toMatchObject({
      ok: false,
      ruleId: 'too-many-words',
    });
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an array', ['uptime']],
    ['an object that stringifies', { toString: () => 'uptime' }],
  ])('refuses %s in place of a command', (_label, value) => {
    expectDenied(evaluateSshCommand(value as unknown as string), 'not-a-string');
  });

  it('names the offending code point without copying it into the reason', () => {
    const rtl = evaluateSshCommand('\u202euptime');
    expect(rtl.reason).toContain('U+202E');
    expect(rtl.reason).not.toContain('\u202e');
    expect(evaluateSshCommand('uptime \u{1f600}').reason).toContain('U+1F600');
    expect(evaluateSshCommand('uptime\0').reason).toContain('NUL');
    expect(evaluateSshCommand('uptime\nreboot').reason).toContain('line feed');
    expect(evaluateSshCommand('hostname; reboot').reason).toContain('position 9');
  });

  it('explains near misses', () => {
    expect(evaluateSshCommand('qm stop 100').reason).toMatch(/Proxmox API/);
    expect(evaluateSshCommand('systemctl stop pveproxy').reason).toMatch(/expected .*restart/);
    expect(evaluateSshCommand('systemctl restart pve-guests').reason).toMatch(/every guest/);
    expect(evaluateSshCommand('qm status 12').reason).toMatch(/100\.\.999999999/);
    expect(evaluateSshCommand('journalctl -u pveproxy -n 99999 --no-pager').reason).toMatch(/1\.\.500/);
    expect(evaluateSshCommand('journalctl -u -f').reason).toMatch(/option/);
    expect(evaluateSshCommand('qm status').reason).toMatch(/missing word 3; expected <vmid>/);
  });
});

describe('evaluateSshCommand: operator-added restartable units', () => {
  const extra: SshCommandOptions = { extraRestartableUnits: ['my-app', 'backup_agent.service'] };

  it.each([
    ['systemctl restart my-app', 'ask', 'systemctl restart my-app'],
    ['systemctl restart my-app.service', 'ask', 'systemctl restart my-app'],
    ['systemctl restart backup_agent', 'ask', 'systemctl restart backup_agent'],
    ['systemctl status my-app', 'allow', 'systemctl status my-app'],
    ['systemctl is-active backup_agent', 'allow', 'systemctl is-active backup_agent'],
    ['journalctl -u my-app -n 10 --no-pager', 'allow', 'journalctl -u my-app -n 10 --no-pager'],
    ['systemctl restart pveproxy', 'ask', 'systemctl restart pveproxy'],
  ])('with extras, %j is %s', (command, kind, argv) => {
    const decision = evaluateSshCommand(command, extra);
    expectConsistent(decision);
    expect(decision.kind).toBe(kind);
    expect(decision.argv).toEqual(argv.split(' '));
  });

  it.each(['systemctl restart my-app', 'systemctl status my-app', 'journalctl -u my-app -n 10 --no-pager'])(
    'without extras, %j is denied',
    (command) => {
      expectDenied(evaluateSshCommand(command), 'unit-not-allowed');
    },
  );

  it('extras never reach the words: a command still passes the tokenizer first', () => {
    expectDenied(evaluateSshCommand('systemctl restart my-app; reboot', extra), 'shell-chaining');
    expectDenied(evaluateSshCommand('systemctl stop my-app', extra), 'unknown-shape');
  });

  const junk = [
    'reboot.target',
    'pve-guests',
    'watchdog-mux',
    'lxcfs',
    '-f',
    '--',
    'evil; reboot',
    '',
    'EVIL',
    '../x',
    'x.socket',
    'pve-container@100',
    '__proto__',
    42,
    null,
  ] as unknown as string[];

  it.each([
    ['systemctl restart reboot.target', 'invalid-argument'],
    ['systemctl restart pve-guests', 'unit-not-allowed'],
    ['systemctl restart watchdog-mux', 'unit-not-allowed'],
    ['systemctl restart lxcfs', 'unit-not-allowed'],
    ['systemctl restart -f', 'option-injection'],
    ['systemctl restart EVIL', 'invalid-argument'],
    ['systemctl restart x.socket', 'invalid-argument'],
    ['systemctl restart __proto__', 'invalid-argument'],
    ['systemctl status __proto__', 'invalid-argument'],
  ] as Array<[string, SshCommandDenyRuleId]>)(
    'junk extras do not widen anything: %j is denied by %s',
    (command, rule) => {
      expectDenied(evaluateSshCommand(command, { extraRestartableUnits: junk }), rule);
    },
  );

  it('a non-array extras value is ignored, not iterated', () => {
    const options = { extraRestartableUnits: 'my-app' } as unknown as SshCommandOptions;
    expectDenied(evaluateSshCommand('systemctl restart m', options), 'unit-not-allowed');
    expectDenied(evaluateSshCommand('systemctl restart my-app', options), 'unit-not-allowed');
    expect(evaluateSshCommand('systemctl restart pveproxy', options).kind).toBe('ask');
  });

  it('the caller keeps its extras array untouched', () => {
    const units = ['my-app'];
    evaluateSshCommand('systemctl restart my-app', { extraRestartableUnits: units });
    expect(units).toEqual(['my-app']);
  });
});

describe('splitShellWords', () => {
  it.each([
    ['uptime', ['uptime']],
    ['  qm  status 100 ', ['qm', 'status', '100']],
    ['a/b.c_d-e', ['a/b.c_d-e']],
  ])('%j splits into %j', (input, words) => {
    expect(splitShellWords(input)).toEqual({ ok: true, words });
  });

  it('refuses every printable ASCII character outside letters, digits, space and . _ / -', () => {
    const accepted: string[] = [];
    for (let code = 0x21; code < 0x7f; code += 1) {
      const character = String.fromCharCode(code);
      if (splitShellWords(`a${character}b`).ok) accepted.push(character);
    }
    expect(accepted.join('')).toBe('-./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz');
  });

  it('refuses every control character', () => {
    const accepted: number[] = [];
    for (let code = 0; code < 0x20; code += 1)
      if (splitShellWords(`a${String.fromCharCode(code)}b`).ok) accepted.push(code);
    if (splitShellWords('a\x7fb').ok) accepted.push(0x7f);
    expect(accepted).toEqual([]);
  });
});
