// Debian's nginx for gateway tests: one server block in a configuration of its own, in the
// foreground, every file under `dir`, on 127.0.0.1; ready once its pid file exists and it accepts
// connections, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p))

export interface Nginx {
  process: ChildProcess
  /** Re-reads the configuration and files it names (a CRL, say): SIGHUP to the master process. */
  reload(): void
  stop(): Promise<void>
}

export async function startNginx(dir: string, port: number, serverBlock: string): Promise<Nginx> {
  if (!NGINX) throw new Error("nginx not found: install Debian's nginx-light (apt-get install -y nginx-light)")
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `
${process.getuid?.() === 0 ? 'user root;' : ''}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${serverBlock}
}
`)
  const child = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'pipe' })
  const accepts = () => new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
    s.on('error', () => resolve(false))
  })
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break
    if (fs.existsSync(path.join(dir, 'nginx.pid')) && await accepts()) {
      return {
        process: child,
        reload: () => process.kill(Number(fs.readFileSync(path.join(dir, 'nginx.pid'), 'utf8')), 'SIGHUP'),
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return
          const exited = new Promise<void>((r) => child.once('exit', () => r()))
          child.kill('SIGTERM')
          await exited
        },
      }
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill('SIGKILL')
  const log = path.join(dir, 'error.log')
  throw new Error(`nginx did not start: ${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '(no error log)'}`)
}
