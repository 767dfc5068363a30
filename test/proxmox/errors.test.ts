import {
  errorFromHttp,
  httpErrorMessage,
  ProxmoxError,
  isProxmoxError,
  isRefusal,
} from '../../activities/src/proxmox/proxmox.errors';
import { missingPermission, refusalAdvice } from '@jarvis/policies';
import { assertNodeName, assertVmid, parseUpid } from '../../activities/src/proxmox/identifiers';
import { normalizeFingerprint, formatFingerprint } from '../../activities/src/proxmox/tls';

const where = { method: 'POST', path: '/nodes/pve/qemu/100/status/start' };

describe('HTTP error classification', () => {
  it.each([
    [
      595,
      'Errors during connection establishment, proxy handshake: No route to host',
      undefined,
      'NODE_UNREACHABLE',
      true,
    ],
    [401, 'Authentication failed!', undefined, 'AUTH', false],
    [403, 'Permission check failed (/vms/100, VM.PowerMgmt)', undefined, 'PERMISSION', false],
    [500, "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist", undefined, 'NOT_FOUND', false],
    [500, 'VM is locked (backup)', undefined, 'LOCKED', false],
    [500, 'CT is locked (mounted)', undefined, 'LOCKED', false],
    [500, 'cluster not ready - no quorum?', undefined, 'NO_QUORUM', true],
    [500, 'no quorum!', undefined, 'NO_QUORUM', true],
    [500, 'VM 100 not running', undefined, 'NOT_RUNNING', false],
    [500, 'CT 101 already running', undefined, 'ALREADY_RUNNING', false],
    [501, "Method 'GET /x' not implemented", undefined, 'NOT_IMPLEMENTED', false],
    [500, "hostname lookup 'nope' failed - failed to get address info for: nope", undefined, 'NOT_FOUND', false],
    [500, 'Internal Server Error', undefined, 'UPSTREAM', true],
    [502, 'Bad Gateway', undefined, 'UPSTREAM', true],
    [
      400,
      'Parameter verification failed.',
      { data: null, errors: { vmid: 'VM 200 already exists' } },
      'BAD_REQUEST',
      false,
    ],
  ] as const)('%i %s → %s', (status, reason, body, code, retryable) => {
    const err = errorFromHttp(status, reason, body, where);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.status).toBe(status);
    expect(err.path).toBe(where.path);
  });

  it('prefers the JSON message of newer servers and strips its newline', () => {
    const err = errorFromHttp(500, 'VM is locked (backup)', { data: null, message: 'VM is locked (backup)\n' }, where);
    expect(err.message).toBe('VM is locked (backup)');
  });

  it('falls back to the reason phrase of older servers and adds parameter errors', () => {
    expect(
      httpErrorMessage(400, 'Parameter verification failed.', {
        data: null,
        errors: { vmid: 'VM 200 already exists' },
      }),
    ).toBe('Parameter verification failed. vmid: VM 200 already exists');
    expect(httpErrorMessage(595, undefined, undefined)).toBe('HTTP 595');
  });

  it('keeps messages to one bounded line', () => {
    const err = new ProxmoxError('UPSTREAM', `line1\nline2\u001b[31m${'x'.repeat(2000)}`);
    expect(err.message).not.toContain('\n');
    expect(err.message).not.toContain('\u001b');
    expect(err.message.length).toBeLessThanOrEqual(501);
  });

  it('serialises without the cause and is recognised by name, not instanceof', () => {
    const err = new ProxmoxError('TLS', 'pin mismatch', {
      cause: { headers: { authorization: 'PVEAPIToken=secret' } },
    });
    expect(JSON.stringify(err)).not.toContain('secret');
    expect(isProxmoxError(err)).toBe(true);
    expect(
      isProxmoxError(Object.assign(new Error('x'), { name: 'ProxmoxError', code: 'AUTH', retryable: false })),
    ).toBe(true);
    expect(isProxmoxError(new Error('x'))).toBe(false);
  });
});

describe('identifiers', () => {
  it('decodes UPIDs with tokens, empty ids and 9-digit pstart', () => {
    expect(parseUpid('UPID:pve2:00001234:00ABCDEF:6650A0B0:qmstart:100:root@pam!gridcp:')).toEqual({
      upid: 'UPID:pve2:00001234:00ABCDEF:6650A0B0:qmstart:100:root@pam!gridcp:',
      node: 'pve2',
      pid: 0x1234,
      pstart: 0xabcdef,
      starttime: 0x6650a0b0,
      type: 'qmstart',
      id: '100',
      user: 'root@pam!gridcp',
    });
    expect(parseUpid('UPID:pve:00001234:123456789:6650A0B0:vncshell::root@pam:')).toMatchObject({
      id: '',
      pstart: 0x123456789,
    });
  });

  it.each([
    'UPID:pve:1234:00ABCDEF:6650A0B0:qmstart:100:root@pam:',
    'UPID:pve:00001234:00ABCDEF:6650A0B0:qmstart:100:root@pam',
    'UPID:pve/../..:00001234:00ABCDEF:6650A0B0:qmstart:100:root@pam:',
    'UPID:pve:00001234:00ABCDEF:6650A0B0:qm/start:100:root@pam:',
    'UPID:pve:00001234:00ABCDEF:6650A0B0:qmstart:100:root@pam:\n',
    '',
  ])('rejects %j', (upid) => {
    expect(parseUpid(upid)).toBeUndefined();
  });

  it('validates node names and vmids before they reach a path', () => {
    expect(assertNodeName('agent1')).toBe('agent1');
    expect(assertVmid('106')).toBe(106);
    for (const bad of ['../cluster', 'pve/qemu', '', '-pve', 'pve%2F..', 'a b']) {
      expect(() => assertNodeName(bad)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }) as Error);
    }
    for (const bad of [99, 1e10, 100.5, '100/../1', 'abc', -1, null]) {
      expect(() => assertVmid(bad)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }) as Error);
    }
  });

  it('normalises fingerprints: case-insensitive, colons optional', () => {
    const hex = 'ab'.repeat(32);
    expect(normalizeFingerprint(formatFingerprint(hex).toLowerCase())).toBe(hex.toUpperCase());
    expect(normalizeFingerprint(hex)).toBe(hex.toUpperCase());
    expect(() => normalizeFingerprint('AB:CD')).toThrow(/SHA-256/);
  });
});

describe('refusals', () => {
  it('names a refused or missing read apart from an unreachable node, and says what to grant', () => {
    expect(isRefusal(errorFromHttp(403, 'Permission check failed (/, Sys.Audit)', undefined, where))).toBe(true);
    expect(isRefusal(errorFromHttp(401, 'authentication failure', undefined, where))).toBe(true);
    expect(isRefusal(errorFromHttp(501, "Method 'GET /x' not implemented", undefined, where))).toBe(true);
    expect(isRefusal(errorFromHttp(595, 'No route to host', undefined, where))).toBe(false);
    expect(isRefusal('PERMISSION')).toBe(true);
    expect(missingPermission('Permission check failed (/vms/100, VM.Snapshot|VM.Snapshot.Rollback)')).toEqual({
      path: '/vms/100',
      privileges: ['VM.Snapshot', 'VM.Snapshot.Rollback'],
    });
    expect(refusalAdvice('PERMISSION', 'Permission check failed (/, Sys.Audit)')).toContain('Sys.Audit on /');
    expect(refusalAdvice('UPSTREAM', 'boom')).toBeUndefined();
  });
});
