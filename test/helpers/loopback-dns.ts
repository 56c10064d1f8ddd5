/**
 * A real DNS server on loopback (dns2, UDP) answering the A, AAAA and TXT
 * records a test sets, and Node's resolver pointed at it for the test's
 * process (`dns.setServers`), restored on close. Names it does not know
 * get an empty answer.
 *
 * @example
 * const dnsServer = await startLoopbackDns()
 * dnsServer.set('app.example', { A: ['10.0.0.5'] })
 * await dnsServer.close()
 */
import dns from 'node:dns'
import dns2 from 'dns2'

export interface DnsRecords {
  A?: string[]
  AAAA?: string[]
  TXT?: string[]
}

export interface LoopbackDns {
  port: number
  set(name: string, records: DnsRecords): void
  close(): Promise<void>
}

export async function startLoopbackDns(): Promise<LoopbackDns> {
  const { Packet } = dns2 as unknown as { Packet: any }
  const records = new Map<string, DnsRecords>()
  const server = (dns2 as any).createServer({
    udp: true,
    handle: (request: any, send: (r: unknown) => void) => {
      const response = Packet.createResponseFromRequest(request)
      const [question] = request.questions
      const name = String(question.name).toLowerCase()
      const known = records.get(name)
      const push = (type: number, extra: Record<string, unknown>) => response.answers.push({ name: question.name, type, class: Packet.CLASS.IN, ttl: 60, ...extra })
      if (known && question.type === Packet.TYPE.A) for (const address of known.A ?? []) push(Packet.TYPE.A, { address })
      if (known && question.type === Packet.TYPE.AAAA) for (const address of known.AAAA ?? []) push(Packet.TYPE.AAAA, { address })
      if (known && question.type === Packet.TYPE.TXT) for (const data of known.TXT ?? []) push(Packet.TYPE.TXT, { data })
      send(response)
    },
  })
  const listening = new Promise<void>((resolve) => server.on('listening', () => resolve()))
  server.listen({ udp: { port: 0, address: '127.0.0.1', type: 'udp4' } })
  await listening
  const port = server.addresses().udp.port as number
  const before = dns.getServers()
  dns.setServers([`127.0.0.1:${port}`])
  return {
    port,
    set(name, r) {
      records.set(name.toLowerCase(), r)
    },
    async close() {
      dns.setServers(before)
      await server.close()
    },
  }
}
