// Test helpers for the JavaScript and browser tests: the real nanokit-hub,
// nanokit-gateway and nanokit processes on port 0 in a temporary directory
// (the JS twin of tests/support/stack.h). NANOKIT_BUILD_DIR names the build
// tree; ctest sets it.

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const buildDir = process.env.NANOKIT_BUILD_DIR ?? path.resolve(import.meta.dirname, '../../build');
export const bin = {
  hub: path.join(buildDir, 'hub/nanokit-hub'),
  gateway: path.join(buildDir, 'ws_gateway/nanokit-gateway'),
  nanokit: path.join(buildDir, 'cli/nanokit'),
};

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `fn` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor(what, fn, timeoutMs = 10000, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await sleep(intervalMs);
  }
}

class Server {
  constructor(name, args, cwd) {
    this.name = name;
    this.stderr = '';
    this.child = spawn(bin[name], args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d) => {
      this.stderr += d;
      if (this.stderr.length > 1 << 20) this.stderr = this.stderr.slice(-(1 << 19));
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.address = new Promise((resolve, reject) => {
      let out = '';
      this.child.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/listening on (\S+)\n/);
        if (m) resolve(m[1]);
      });
      this.exited.then(({ code }) => reject(new Error(`${name} exited (${code}) before listening:\n${this.stderr}`)));
    });
  }

  async stop(signal = 'SIGTERM') {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }
}

/**
 * hub + gateway. options.gatewayArgs / options.hubArgs add flags.
 * stack.startGateway(port) restarts a gateway on the same port.
 */
export class Stack {
  static async start(options = {}) {
    const stack = new Stack(options);
    await stack.startHub();
    await stack.startGateway();
    return stack;
  }

  constructor(options) {
    this.options = options;
    this.dir = mkdtempSync(path.join(tmpdir(), 'nanokit-js-'));
    this.tokenFile = path.join(this.dir, 'token');
  }

  get token() { return readFileSync(this.tokenFile, 'utf8').trim(); }
  get wsUrl() { return `ws://${this.gatewayAddress}/ws`; }
  get httpUrl() { return `http://${this.gatewayAddress}/`; }

  async startHub() {
    await execFileP(bin.nanokit, ['init', '--token-file', this.tokenFile]);
    this.hub = new Server('hub', [
      '--listen', '127.0.0.1:0', '--token-file', this.tokenFile, '--data-dir', path.join(this.dir, 'hub'),
      '--heartbeat-interval', '200ms', ...(this.options.hubArgs ?? []),
    ], this.dir);
    this.hubAddress = await this.hub.address;
  }

  async startGateway(port = 0) {
    this.gateway = new Server('gateway', [
      '--listen', `127.0.0.1:${port}`, '--hub', this.hubAddress, '--token-file', this.tokenFile,
      '--heartbeat-interval', '200ms', ...(this.options.gatewayArgs ?? []),
    ], this.dir);
    this.gatewayAddress = await this.gateway.address;
    return this.gatewayAddress;
  }

  get gatewayPort() { return Number(this.gatewayAddress.split(':').pop()); }

  /** Runs `nanokit ARGS` against the hub; resolves with stdout. */
  async nanokit(args, input) {
    const full = [...args, '--hub', this.hubAddress, '--token-file', this.tokenFile];
    return new Promise((resolve, reject) => {
      const child = execFile(bin.nanokit, full, { cwd: this.dir, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`nanokit ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
      if (input !== undefined) child.stdin.end(input);
    });
  }

  /**
   * `nanokit token create ARGS` in the servers' folder (their default
   * --credentials); resolves with the token once the gateway accepts it
   * (it reads the file every second).
   */
  async createToken(args) {
    const token = (await this.nanokitLocal(['token', 'create', ...args])).trim();
    await waitFor('the gateway to know the new token', async () => {
      const response = await fetch(`${this.httpUrl}healthz`, { headers: { Authorization: `Bearer ${token}` } });
      return (await response.json()).authorized === true;
    }, 5000, 100);
    return token;
  }

  /** `nanokit token revoke NAME`. */
  async revokeToken(name) {
    await this.nanokitLocal(['token', 'revoke', name]);
  }

  // `nanokit ARGS` in the servers' folder, without the hub's flags.
  async nanokitLocal(args) {
    return new Promise((resolve, reject) => {
      execFile(bin.nanokit, args, { cwd: this.dir }, (err, stdout, stderr) => {
        if (err) reject(new Error(`nanokit ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
  }

  /** Publishes events (objects in the proto3 JSON of Event) and waits for the hub's acknowledgement. */
  async publish(project, events) {
    await this.nanokit(['publish', '--project', project], events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  }

  /** The hub's GetSnapshot of `project`, as proto3 JSON. */
  async snapshot(project) {
    return JSON.parse(await this.nanokit(['snapshot', '--project', project]));
  }

  /** A simulated core (nanokit demo). */
  startDemo(project, extra = []) {
    const child = spawn(bin.nanokit, ['demo', '--hub', this.hubAddress, '--token-file', this.tokenFile,
      '--project', project, '--gateway', '', ...extra], { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.resume();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    return { child, stop: () => { child.kill('SIGTERM'); return exited; } };
  }

  async stop() {
    await Promise.all([this.gateway?.stop(), this.hub?.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
