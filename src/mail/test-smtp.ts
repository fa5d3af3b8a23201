/**
 * A real SMTP server on 127.0.0.1 for tests (smtp-server), recording each message raw and
 * parsed back with mailparser.
 */
import * as net from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface Received {
  /** Envelope sender and recipients (sorted). */
  from: string;
  to: string[];
  /** The message as it arrived. */
  bytes: Buffer;
  raw: string;
  mail: ParsedMail;
  /** The authenticated user, if any. */
  user?: string;
  /** Whether the connection was TLS (implicit or after STARTTLS). */
  secure: boolean;
  /** The name the client greeted with (EHLO/HELO). */
  helo: string;
}

export interface TestSmtp {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

/** A port nothing listens on right now (for a server started later, or never). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Start a server on `port` (default: any free one); `extra` overrides smtp-server options. */
export async function startSmtp(extra: Partial<SMTPServerOptions> = {}, port = 0): Promise<TestSmtp> {
  const received: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const bytes = Buffer.concat(chunks);
        simpleParser(bytes).then((mail) => {
          received.push({
            from: (session.envelope.mailFrom as { address: string }).address,
            to: session.envelope.rcptTo.map((r) => r.address).sort(),
            bytes,
            raw: bytes.toString('utf8'),
            mail,
            user: session.user as string | undefined,
            secure: session.secure,
            helo: String((session as { hostNameAppearsAs?: string }).hostNameAppearsAs ?? ''),
          });
          cb();
        }, cb);
      });
    },
    ...extra,
  });
  const bound = await new Promise<number>((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.server.address() as net.AddressInfo).port)));
  return { port: bound, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}
