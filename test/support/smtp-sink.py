#!/usr/bin/env python3
"""A real SMTP server for the tests, on a loopback port: aiosmtpd (Debian's python3-aiosmtpd).

Every accepted message is written to stdout as one JSON line: the envelope, the decoded headers (RFC 2047 words
decoded) and the text body (quoted-printable or base64 decoded), so that the tests read what a mail client would
show. A recipient whose local part starts with "reject" is refused with 550 (a permanent failure). The server is
ready when it prints "ready <port>"; it stops on SIGTERM or when stdin closes.

usage: /usr/bin/python3 smtp-sink.py --port PORT
"""
import argparse
import email
import json
import signal
import sys
import threading
from email import policy

from aiosmtpd.controller import Controller


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split('@')[0].lower().startswith('reject'):
            return '550 5.1.1 <%s>: mailbox unavailable' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=('plain',))
        record = {
            'mailFrom': envelope.mail_from,
            'rcptTos': list(envelope.rcpt_tos),
            'subject': str(message['subject'] or ''),
            'from': str(message['from'] or ''),
            'to': str(message['to'] or ''),
            'messageId': str(message['message-id'] or ''),
            'headers': {key.lower(): str(value) for key, value in message.items()},
            'text': body.get_content() if body is not None else '',
        }
        # Written before the 250 reply: once the client has its answer, the line is in the pipe.
        sys.stdout.write(json.dumps(record) + '\n')
        sys.stdout.flush()
        return '250 2.0.0 Message accepted for delivery'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    args = parser.parse_args()
    controller = Controller(Handler(), hostname='127.0.0.1', port=args.port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    sys.stdout.write('ready %d\n' % args.port)
    sys.stdout.flush()
    done.wait()
    controller.stop()


if __name__ == '__main__':
    main()
