// A stand-in for Active Directory's answer to a bind whose password is right but must be changed: every bind request
// gets resultCode 49 (invalidCredentials) with AD's diagnostic message "... data 773 ..." (RFC 4511 BindResponse, BER).
import { createServer, type Server } from 'node:net';

const length = (n: number) => (n < 128 ? Buffer.from([n]) : Buffer.from([0x82, n >> 8, n & 0xff]));
const tlv = (tag: number, value: Buffer) => Buffer.concat([Buffer.from([tag]), length(value.length), value]);

function bindResponse(messageId: Buffer, code: number, message: string) {
  const op = tlv(
    0x61,
    Buffer.concat([tlv(0x0a, Buffer.from([code])), tlv(0x04, Buffer.alloc(0)), tlv(0x04, Buffer.from(message))]),
  );
  return tlv(0x30, Buffer.concat([tlv(0x02, messageId), op]));
}

/** The message id and the operation's tag of an LDAPMessage (SEQUENCE { INTEGER id, protocolOp }). */
function readMessage(data: Buffer): { id: Buffer; op: number } {
  let at = 1;
  const first = data[at] as number;
  at += first & 0x80 ? 1 + (first & 0x7f) : 1;
  const idLength = data[at + 1] as number;
  return { id: data.subarray(at + 2, at + 2 + idLength), op: data[at + 2 + idLength] as number };
}

export async function startMustChangeDirectory(diagnostic: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    socket.on('data', (data) => {
      // An unbind (APPLICATION 2) needs no answer; anything else here is a bind.
      const { id, op } = readMessage(data);
      if (op === 0x42) return socket.end();
      socket.write(bindResponse(id, 49, diagnostic));
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `ldap://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
