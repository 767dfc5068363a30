import { ConfigError, loadConfig, pveClientSettings } from '@jarvis/config';

const BASE = {
  PVE_URL: 'https://127.0.0.1:8006/api2/json',
  PVE_TOKEN: 'root@pam!jarvis=secret',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/jarvis',
  JARVIS_USERNAME: 'operator',
  JARVIS_PASSWORD: 'long enough password',
  JWT_SECRET: 'x'.repeat(40),
};
const FP_A = `AA:${'01:'.repeat(30)}01`;
const FP_B = `bb:${'02:'.repeat(30)}02`;

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('PVE_URL, PVE_FINGERPRINT and PVE_CA_FILE', () => {
  it('takes one endpoint or a comma-separated list', () => {
    expect(loadConfig(BASE).pve).toMatchObject({ url: BASE.PVE_URL, urls: [BASE.PVE_URL] });
    const list = 'https://127.0.0.11:8006/api2/json, https://127.0.0.12:8006/api2/json';
    expect(loadConfig({ ...BASE, PVE_URL: list }).pve).toMatchObject({
      url: 'https://127.0.0.11:8006/api2/json',
      urls: ['https://127.0.0.11:8006/api2/json', 'https://127.0.0.12:8006/api2/json'],
    });
  });

  it('names the variable and the entry that is wrong', () => {
    expect(problems({ PVE_URL: 'https://127.0.0.11:8006/api2/json,http://127.0.0.12:8006' })).toEqual([
      'PVE_URL entry 2 must use https:',
    ]);
    expect(problems({ PVE_URL: 'https://127.0.0.11:8006/api2/json,,https://127.0.0.12:8006' })).toEqual([
      'PVE_URL entry 2 is empty (PVE_URL is a comma-separated list of https URLs)',
    ]);
    expect(problems({ PVE_URL: 'not a url' })).toEqual(['PVE_URL is not a valid URL']);
    expect(problems({ PVE_URL: 'https://user:pw@127.0.0.11:8006/api2/json' })).toEqual([
      'PVE_URL must not carry credentials (the token goes in PVE_TOKEN)',
    ]);
    expect(problems({ PVE_URL: 'https://127.0.0.11:8006/api2/json,https://127.0.0.11:8006/api2/json' })).toEqual([
      'PVE_URL entry 2 repeats an earlier entry',
    ]);
  });

  it('takes one pinned fingerprint per endpoint, and says which one is malformed', () => {
    expect(loadConfig({ ...BASE, PVE_FINGERPRINT: `${FP_A}, ${FP_B}` }).pve.fingerprints).toEqual([
      FP_A,
      FP_B.toUpperCase(),
    ]);
    expect(problems({ PVE_FINGERPRINT: `${FP_A},AB:CD` })).toEqual([
      'PVE_FINGERPRINT entry 2 must be a SHA-256 fingerprint, 32 hex pairs separated by colons',
    ]);
    expect(problems({ PVE_FINGERPRINT: 'AB:CD' })).toEqual([
      'PVE_FINGERPRINT must be a SHA-256 fingerprint, 32 hex pairs separated by colons',
    ]);
  });

  it('hands the client every endpoint, the pins and the CA read from PVE_CA_FILE, naming the file when it is bad', () => {
    const pve = loadConfig({
      ...BASE,
      PVE_URL: 'https://127.0.0.11:8006/api2/json,https://127.0.0.12:8006/api2/json',
      PVE_FINGERPRINT: FP_A,
    }).pve;
    expect(pveClientSettings(pve)).toEqual({
      baseUrl: ['https://127.0.0.11:8006/api2/json', 'https://127.0.0.12:8006/api2/json'],
      token: BASE.PVE_TOKEN,
      fingerprint: [FP_A],
    });
    const withCa = loadConfig({ ...BASE, PVE_CA_FILE: '/nonexistent/pve-root-ca.pem' }).pve;
    expect(() => pveClientSettings(withCa)).toThrow(/PVE_CA_FILE: cannot read \/nonexistent\/pve-root-ca.pem/);
    expect(() => pveClientSettings(withCa, () => 'not a pem')).toThrow(/PVE_CA_FILE: .* is not a PEM certificate/);
  });
});
