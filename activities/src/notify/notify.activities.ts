import { createTransport, type Transporter } from 'nodemailer';
import { renderEscalation, type EscalationInput } from './escalation';

export interface NotifyDeps {
  /** smtp:// or smtps:// URL; unset means the mail is logged instead of sent. */
  readonly smtpUrl?: string;
  readonly alertEmail?: string;
  readonly from?: string;
  readonly log?: (message: string) => void;
  /** The LLM narration hook; absent today, so the templated text goes out. */
  readonly narrate?: (input: EscalationInput, templated: string) => Promise<string>;
}

export interface EscalationReceipt {
  readonly delivered: boolean;
  readonly channel: 'smtp' | 'log';
  readonly to?: string;
  readonly messageId?: string;
  readonly narrated: boolean;
}

/** The notify group: escalation mail through nodemailer, or the log when no SMTP relay is configured. */
export function createNotifyActivities({
  smtpUrl,
  alertEmail,
  from = 'Jarvis <jarvis@localhost>',
  log = () => undefined,
  narrate,
}: NotifyDeps) {
  let transport: Transporter | undefined;
  const transporter = (): Transporter => (transport ??= createTransport(smtpUrl));

  return {
    async sendEscalation(input: EscalationInput): Promise<EscalationReceipt> {
      const message = renderEscalation(input);
      let text = message.text;
      let narrated = false;
      if (narrate) {
        try {
          text = await narrate(input, message.text);
          narrated = true;
        } catch {
          // The template is the fallback: an escalation must go out even without an LLM.
        }
      }
      if (!smtpUrl || !alertEmail) {
        // Logged without the relay URL (it may carry credentials); the text itself has no secrets.
        log(`escalation (no ${smtpUrl ? 'ALERT_EMAIL' : 'SMTP_URL'} set, mail logged): ${message.subject}\n${text}`);
        return { delivered: false, channel: 'log', narrated };
      }
      const info = (await transporter().sendMail({ from, to: alertEmail, subject: message.subject, text })) as {
        messageId?: string;
      };
      return {
        delivered: true,
        channel: 'smtp',
        to: alertEmail,
        ...(info.messageId ? { messageId: info.messageId } : {}),
        narrated,
      };
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
