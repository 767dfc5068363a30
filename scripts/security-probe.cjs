// A local attacker's probe of the running demo, layer by layer (docs/security.md): forged and
// revoked tokens on every route and socket, the terminal's step-up, the browser headers, nested
// JSON, starts and decisions sent to Temporal directly (a signed decision read back from a
// history and replayed included), the guardian's settings, and the state at rest.
//   npm run demo   (in another terminal, from the project root)
//   node scripts/security-probe.cjs OPERATOR PASSWORD SECOND_OPERATOR PASSWORD
// Prints each family of checks with how many held; exits 1 if any did not.
const path = require('path');
const fs = require('fs');
const { execSync } = require('child_process');
const req = (m) => require(path.resolve('node_modules', m));
const { io } = req('socket.io-client');
const { Connection, Client } = req('@temporalio/client');
const API = 'http://127.0.0.1:3000';
const SIM = 'https://127.0.0.1:8006/_sim';
const [user, pass, user2, pass2] = process.argv.slice(2);
const families = {};
const held = (family, ok, what) => {
  const f = (families[family] ??= { run: 0, held: 0, failed: [] });
  f.run++;
  if (ok) f.held++;
  else f.failed.push(what);
};
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
async function login(u, p) {
  const r = await fetch(`${API}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: u, password: p }),
  });
  const j = await r.json();
  return {
    token: j.token,
    cookie: (r.headers.get('set-cookie') || '').split(';')[0],
    setCookie: r.headers.get('set-cookie') || '',
  };
}
const api = (token, method, p, body) =>
  fetch(`${API}/api${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const ledger = async () => await (await fetch(`${SIM}/ledger`)).json();
const stops = (l, vmid) =>
  (Array.isArray(l) ? l : l.entries || []).filter(
    (e) => Number(e.vmid) === vmid && /stop|shutdown/.test(String(e.action || e.path)),
  ).length;

(async () => {
  const a = await login(user, pass);
  const b = await login(user2, pass2);
  const victim = await login(user, pass);
  const [h, p] = a.token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  const forged = {
    none: undefined,
    garbage: 'abc.def.ghi',
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
    badSig: `${h}.${p}.${'A'.repeat(43)}`,
    expired: `${h}.${b64({ ...payload, exp: 1_000_000_000 })}.${a.token.split('.')[2]}`,
    otherSid: `${h}.${b64({ ...payload, sid: 'A'.repeat(22) })}.${a.token.split('.')[2]}`,
  };
  // logged out: its token and refresh cookie
  const out = await login(user, pass);
  await fetch(`${API}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${out.token}` } });
  forged.loggedOut = out.token;

  // 1. Every route in the OpenAPI document, with every bad token.
  const doc = await (await fetch(`${API}/api/docs-json`)).json();
  const open = /^\/api\/(health|auth\/login|auth\/refresh|docs)/;
  for (const [route, ops] of Object.entries(doc.paths)) {
    const full = route.startsWith('/api') ? route : `/api${route}`;
    if (open.test(full)) continue;
    for (const method of Object.keys(ops)) {
      for (const [name, tok] of Object.entries(forged)) {
        const r = await fetch(API + full.replace(/\{[^}]+\}/g, '1'), {
          method: method.toUpperCase(),
          headers: { 'content-type': 'application/json', ...(tok ? { authorization: `Bearer ${tok}` } : {}) },
          body: method === 'get' ? undefined : '{}',
        });
        held('http: bad tokens on every route', r.status === 401, `${method} ${full} ${name} -> ${r.status}`);
      }
    }
  }
  // refresh: no cookie, garbage, the logged-out session's cookie
  for (const [name, cookie] of [
    ['none', ''],
    ['garbage', 'jarvis_refresh=xyz'],
    ['logged-out', out.cookie],
  ]) {
    const r = await fetch(`${API}/api/auth/refresh`, { method: 'POST', headers: cookie ? { cookie } : {} });
    held('http: refresh without a live cookie', r.status === 401, `refresh ${name} -> ${r.status}`);
  }
  held(
    'http: refresh cookie attributes',
    /HttpOnly/i.test(a.setCookie) && /SameSite=Strict/i.test(a.setCookie) && /Path=\/api\/auth/i.test(a.setCookie),
    a.setCookie,
  );

  // 2. Socket handshakes with bad tokens, on every namespace.
  for (const ns of ['/live', '/chat', '/terminal']) {
    for (const [name, tok] of Object.entries(forged)) {
      const s = io(`${API}${ns}`, {
        auth: tok ? { token: tok } : {},
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      const outcome = await new Promise((resolve) => {
        s.once('connect', () => resolve('connected'));
        s.once('connect_error', () => resolve('refused'));
        setTimeout(() => resolve('timeout'), 5000);
      });
      s.close();
      held('sockets: bad handshakes', outcome === 'refused', `${ns} ${name} -> ${outcome}`);
    }
    // a live socket of a session that logs out is dropped
    const v = await login(user, pass);
    const s = io(`${API}${ns}`, {
      auth: { token: v.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise((r) => s.once('connect', r));
    const gone = new Promise((r) => {
      s.once('disconnect', () => r(true));
      setTimeout(() => r(false), 5000);
    });
    await fetch(`${API}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${v.token}` } });
    held('sockets: dropped at logout', await gone, `${ns} socket survived its logout`);
  }
  // the terminal without a ticket
  {
    const s = io(`${API}/terminal`, {
      auth: { token: a.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise((r) => s.once('connect', r));
    const err = new Promise((r) => {
      s.once('terminal.error', (e) => r(e));
      setTimeout(() => r(null), 5000);
    });
    s.emit('terminal.open', { node: 'agent1', cols: 80, rows: 24, ref: 'p1' });
    const e = await err;
    held(
      'terminal: open without step-up',
      e && e.code === 'STEP_UP_REQUIRED',
      `open without ticket -> ${JSON.stringify(e)}`,
    );
    s.close();
    const t = await api(a.token, 'POST', '/terminal/tickets', { node: 'agent1' });
    held('terminal: own node needs its name', t.status === 403, `ticket for agent1 without its name -> ${t.status}`);
  }

  // 3. Headers, framing, nesting, bodies.
  const head = await fetch(`${API}/`);
  const csp = head.headers.get('content-security-policy') || '';
  held(
    'browser: headers',
    /script-src 'self' 'wasm-unsafe-eval'/.test(csp) && !/script-src[^;]*unsafe-inline/.test(csp),
    `CSP ${csp}`,
  );
  held(
    'browser: headers',
    /frame-ancestors 'none'/.test(csp) && head.headers.get('x-frame-options') === 'DENY',
    'framing',
  );
  held(
    'browser: headers',
    head.headers.get('x-content-type-options') === 'nosniff' && !!head.headers.get('referrer-policy'),
    'nosniff/referrer',
  );
  for (const d of [65, 3000, 20000]) {
    const body = `{"username":"a","password":"b","x":${'['.repeat(d)}${']'.repeat(d)}}`;
    const r = await fetch(`${API}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    held('input: nested JSON', r.status === 400, `depth ${d} -> ${r.status}`);
  }

  // 4. Temporal reached directly.
  const conn = await Connection.connect({ address: '127.0.0.1:7233' });
  const client = new Client({ connection: conn });
  const tiers = {}; // every tool GREEN
  for (const t of Object.keys(req('@jarvis/policies').defaultTierTable())) tiers[t] = 'GREEN';
  const permissive = { tiers, protected: { jarvis: { vmid: 999999, node: 'nowhere' } } };
  const before = await ledger();
  for (const [node, vmid] of [
    ['agent1', 103],
    ['pve', 100],
    ['home', 101],
  ]) {
    const id = `vm-action:${node}:${vmid}:stop:PROBE${Date.now()}`;
    try {
      const hnd = await client.workflow.start('vmActionWorkflow', {
        taskQueue: 'jarvis',
        workflowId: id,
        args: [
          {
            node,
            vmid,
            action: 'stop',
            reason: 'probe',
            requestedBy: { kind: 'operator', id: user },
            policy: permissive,
            twoPersonRule: false,
            approvalTtlMs: 60000,
            escalateAfterMs: 60000,
          },
        ],
      });
      const r = await Promise.race([hnd.result(), sleep(15000).then(() => ({ outcome: 'timeout' }))]);
      held('temporal: forged starts', r.outcome === 'blocked', `forged stop of ${vmid} -> ${r.outcome}`);
    } catch (e) {
      held('temporal: forged starts', true, String(e));
    }
  }
  // a real RED (two-person) request, one operator approves through the API; the decision is then
  // read from the history and sent again, and forged ones are tried
  const res = await (await api(a.token, 'POST', '/guests/pve/102/actions', { action: 'stop', reason: 'probe' })).json();
  await sleep(1500);
  const pending = (await (await api(a.token, 'GET', '/approvals?state=pending')).json()).items.find(
    (x) => x.workflowId === res.workflowId,
  );
  const handle = client.workflow.getHandle(res.workflowId);
  const tries = [
    [
      'unsigned',
      {
        approvalId: pending.id,
        fingerprint: pending.fingerprint,
        by: 'mallory',
        byIsOperator: true,
        verdict: 'approve',
        confirm: true,
      },
    ],
    [
      'unsigned as an operator',
      { approvalId: pending.id, fingerprint: pending.fingerprint, by: user2, byIsOperator: true, verdict: 'approve' },
    ],
    [
      'bad signature',
      {
        approvalId: pending.id,
        fingerprint: pending.fingerprint,
        by: user2,
        byIsOperator: true,
        verdict: 'approve',
        voucher: { at: new Date().toISOString(), nonce: 'A'.repeat(24), sig: 'A'.repeat(86) },
      },
    ],
  ];
  for (const [name, args] of tries) {
    try {
      await handle.executeUpdate('decide', { args: [args] });
      held('temporal: forged decisions', false, `${name}: accepted`);
    } catch (e) {
      held('temporal: forged decisions', true, name);
    }
  }
  await api(a.token, 'POST', `/approvals/${pending.id}/approve`, { fingerprint: pending.fingerprint });
  const hist = await handle.fetchHistory();
  const acc = hist.events
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest)
    .filter(Boolean)
    .pop();
  const signed = req('@temporalio/common').defaultPayloadConverter.fromPayload(acc.input.args.payloads[0]);
  held(
    'history: no secret',
    !JSON.stringify(hist.events).includes('PRIVATE KEY') && typeof signed.voucher?.sig === 'string',
    'history holds the signature only',
  );
  for (const [name, args] of [
    ['replayed as is', signed],
    ['replayed as another operator', { ...signed, by: user2 }],
    ['replayed with byIsOperator', { ...signed, byIsOperator: true, by: 'mallory' }],
  ]) {
    try {
      await handle.executeUpdate('decide', { args: [args] });
      held('temporal: replayed decisions', false, `${name}: accepted`);
    } catch {
      held('temporal: replayed decisions', true, name);
    }
  }
  // guardian: the kill switch cannot be set by an update
  try {
    await client.workflow
      .getHandle('guardian:default')
      .executeUpdate('setKillSwitch', { args: [{ engaged: false, by: 'mallory' }] });
    held('temporal: guardian settings', false, 'setKillSwitch accepted');
  } catch {
    held('temporal: guardian settings', true, 'setKillSwitch');
  }
  try {
    await client.workflow
      .getHandle('guardian:default')
      .executeUpdate('setAutonomy', { args: [{ incidentClass: 'vm-crashed', level: 'L3', by: 'mallory' }] });
    held('temporal: guardian settings', false, 'setAutonomy accepted');
  } catch {
    held('temporal: guardian settings', true, 'setAutonomy');
  }
  await api(b.token, 'POST', `/approvals/${pending.id}/reject`, { fingerprint: pending.fingerprint });
  await sleep(3000);
  const after = await ledger();
  for (const vmid of [103, 100, 101, 102])
    held('proxmox: nothing stopped', stops(after, vmid) === stops(before, vmid), `VM ${vmid} stopped`);
  await conn.close();

  // 5. State at rest.
  const st = fs.statSync('.jarvis');
  held('at rest: modes', (st.mode & 0o777) === 0o700, `.jarvis ${(st.mode & 0o777).toString(8)}`);
  for (const f of fs.readdirSync('.jarvis')) {
    const s = fs.statSync(path.join('.jarvis', f));
    if (s.isFile()) held('at rest: modes', (s.mode & 0o777) === 0o600, `${f} ${(s.mode & 0o777).toString(8)}`);
  }
  const roles = execSync(
    `psql -h 127.0.0.1 -U postgres -d jarvis -Atc "select distinct usename from pg_stat_activity where datname='jarvis' and usename is not null"`,
  )
    .toString()
    .trim()
    .split('\n');
  held('at rest: database role', roles.includes('jarvis_app'), `connected roles: ${roles.join(',')}`);

  let run = 0,
    ok = 0;
  for (const [name, f] of Object.entries(families)) {
    run += f.run;
    ok += f.held;
    console.log(
      `${name.padEnd(40)} ${String(f.held).padStart(4)} / ${f.run}${f.failed.length ? '   NOT HELD: ' + f.failed.slice(0, 3).join('; ') : ''}`,
    );
  }
  console.log(`TOTAL ${ok} of ${run} held`);
  process.exit(ok === run ? 0 : 1);
})().catch((e) => {
  console.error('probe error', e);
  process.exit(2);
});
