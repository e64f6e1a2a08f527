import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-paths.js';
import { freePort } from './issued-certificates.js';

/** A mail as the SMTP server received it: envelope, decoded headers, text body (line ends normalised to \n). */
export interface ReceivedMail {
  readonly mailFrom: string;
  readonly rcptTos: readonly string[];
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  readonly messageId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/**
 * A real SMTP server on a loopback port (test/support/smtp-sink.py: Python's aiosmtpd, Debian's python3-aiosmtpd, run
 * by the system Python). It can be stopped and started again on the same port: the "SMTP server down" of the tests.
 * Recipients whose local part starts with "reject" are refused with 550.
 */
export class TestSmtpServer {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly received: ReceivedMail[] = [];

  private constructor(readonly port: number) {}

  static async start(): Promise<TestSmtpServer> {
    const server = new TestSmtpServer(await freePort());
    await server.up();
    return server;
  }

  /** SMTP_URL for the platform. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the server (again) on its port. */
  async up(): Promise<void> {
    if (this.child) return;
    const child = spawn('/usr/bin/python3', [join(projectRoot(), 'test/support/smtp-sink.py'), '--port', String(this.port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the SMTP server did not start: ${stderr}`)), 15_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the SMTP server exited (${code}): ${stderr}`));
      });
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.startsWith('ready ')) {
            clearTimeout(timer);
            resolve();
          } else if (line.trim() !== '') {
            const mail = JSON.parse(line) as ReceivedMail;
            this.received.push({ ...mail, text: mail.text.replace(/\r\n/g, '\n') });
          }
        }
      });
    });
  }

  /** Stops the server: connections to its port are refused until up() again. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  /**
   * The mails received so far (after a short wait: each is written to the pipe before the server's 250, so a client
   * that has its answer finds its mail here), and forgets them.
   */
  async take(): Promise<ReceivedMail[]> {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return this.received.splice(0, this.received.length);
  }

  /** Waits until at least `count` mails are there (another process sends them), then takes them. */
  async waitFor(count: number, timeoutMs = 30_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} mail(s), got ${this.received.length}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.take();
  }
}
