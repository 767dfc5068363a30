import { type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SunkMail {
  readonly from?: string;
  readonly to: readonly string[];
  readonly raw: string;
  readonly subject?: string;
}

export interface SmtpSink {
  readonly url: string;
  readonly messages: readonly SunkMail[];
  close(): Promise<void>;
}

/** A local SMTP server on loopback that keeps every message it receives (no TLS, no auth). */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SunkMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const subject = /^Subject: (.*)$/im.exec(raw)?.[1]?.trim();
        messages.push({
          ...(session.envelope.mailFrom ? { from: session.envelope.mailFrom.address } : {}),
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...(subject ? { subject } : {}),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
