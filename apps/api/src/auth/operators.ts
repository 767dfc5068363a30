import { type OperatorAccount } from '@jarvis/config';
import { hashPassword, verifyPassword, type PasswordHash } from './passwords';

/** The operators who may log in, by name, with hashed passwords only. */
export class OperatorDirectory {
  private constructor(
    private readonly accounts: ReadonlyMap<string, PasswordHash>,
    // Checked against when the name is unknown, so a wrong name costs as long as a wrong password.
    private readonly decoy: PasswordHash,
  ) {}

  static async fromAccounts(accounts: readonly OperatorAccount[]): Promise<OperatorDirectory> {
    const hashed = await Promise.all(accounts.map(async (a) => [a.username, await hashPassword(a.password)] as const));
    return new OperatorDirectory(new Map(hashed), await hashPassword('decoy-password-never-matches'));
  }

  get usernames(): string[] {
    return [...this.accounts.keys()];
  }

  get count(): number {
    return this.accounts.size;
  }

  has(username: string): boolean {
    return this.accounts.has(username);
  }

  /** The canonical username when the password matches, otherwise undefined. */
  async authenticate(username: string, password: string): Promise<string | undefined> {
    const stored = this.accounts.get(username);
    const ok = await verifyPassword(password, stored ?? this.decoy);
    return ok && stored ? username : undefined;
  }
}
