/**
 * A minimal MQTT 3.1.1 client over TLS for tests that must send what the SDKs never send
 * (foreign topics, wills, malformed payloads). Encodes CONNECT, SUBSCRIBE, PUBLISH (QoS 0) and
 * DISCONNECT; decodes whatever the broker sends into `{ type, flags, body }` packets.
 */
import { connect, type TLSSocket } from 'node:tls';

/** One decoded MQTT control packet. */
export interface RawPacket {
  type: number;
  flags: number;
  body: Buffer;
}

/** Options of CONNECT. */
export interface RawConnect {
  clientId: string;
  username: string;
  password: string;
  will?: { topic: string; payload: string };
}

function str(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function frame(type: number, flags: number, body: Buffer): Buffer {
  const length: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([(type << 4) | flags, ...length]), body]);
}

/** A raw MQTT connection. */
export class RawMqtt {
  readonly packets: RawPacket[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private nextId = 1;

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  /** Opens a TLS connection to 127.0.0.1:port trusting `ca`. */
  static open(port: number, ca: string): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca }, () => resolve(new RawMqtt(socket)));
      socket.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      let length = 0;
      let multiplier = 1;
      let offset = 1;
      let byte: number;
      do {
        if (offset >= this.buffer.length) return;
        byte = this.buffer[offset]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        offset += 1;
      } while (byte & 0x80);
      if (this.buffer.length < offset + length) return;
      const first = this.buffer[0]!;
      this.packets.push({ type: first >> 4, flags: first & 0x0f, body: this.buffer.subarray(offset, offset + length) });
      this.buffer = this.buffer.subarray(offset + length);
    }
  }

  /** Waits for the first received packet of a type that satisfies `match`, or fails after `timeoutMs`. */
  async next(type: number, match: (p: RawPacket) => boolean = () => true, timeoutMs = 3_000): Promise<RawPacket> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.packets.find((p) => p.type === type && match(p));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no MQTT packet of type ${type} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends CONNECT (clean session false, keepalive 60) and returns the CONNACK return code. */
  async connect(options: RawConnect): Promise<number> {
    let flags = 0x80 | 0x40;
    if (options.will) flags |= 0x04;
    const parts = [str('MQTT'), Buffer.from([4, flags, 0, 60]), str(options.clientId)];
    if (options.will) parts.push(str(options.will.topic), str(options.will.payload));
    parts.push(str(options.username), str(options.password));
    this.socket.write(frame(1, 0, Buffer.concat(parts)));
    const connack = await this.next(2);
    return connack.body[1]!;
  }

  /** Subscribes to one filter at QoS 0 and returns the SUBACK return code (0x80 = refused). */
  async subscribe(filter: string): Promise<number> {
    const id = this.nextId++;
    const idBytes = Buffer.from([id >> 8, id & 0xff]);
    this.socket.write(frame(8, 2, Buffer.concat([idBytes, str(filter), Buffer.from([0])])));
    const suback = await this.next(9, (p) => p.body.readUInt16BE(0) === id);
    return suback.body[2]!;
  }

  /** Publishes at QoS 0. */
  publish(topic: string, payload: string): void {
    this.socket.write(frame(3, 0, Buffer.concat([str(topic), Buffer.from(payload, 'utf8')])));
  }

  /** Topic and payload of a received PUBLISH packet. */
  static decodePublish(packet: RawPacket): { topic: string; payload: string } {
    const length = packet.body.readUInt16BE(0);
    const topic = packet.body.subarray(2, 2 + length).toString('utf8');
    const qos = (packet.flags >> 1) & 3;
    return { topic, payload: packet.body.subarray(2 + length + (qos > 0 ? 2 : 0)).toString('utf8') };
  }

  /** Received PUBLISH packets, decoded. */
  publishes(): { topic: string; payload: string }[] {
    return this.packets.filter((p) => p.type === 3).map((p) => RawMqtt.decodePublish(p));
  }

  /** Destroys the socket without DISCONNECT (a network failure, so a will is published). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Sends DISCONNECT and closes. */
  end(): void {
    if (!this.closed) this.socket.end(frame(14, 0, Buffer.alloc(0)));
  }
}
