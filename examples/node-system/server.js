// A sample business system (业务系统) of 政务服务门户 in Node: login through the portal with
// openid-client (authorization code + PKCE), and 授权绑定 — the portal's binding API
// (docs/binding-api/openapi.yaml) with the portal's signed requests verified by jose.
// docs/integration.md ("Node (openid-client)") walks through it; tests/test_example_node_system.py runs it.
//
// Accounts, links and sessions live in memory to keep the sample short. A real system keeps them in
// its database: links unique on the portal sub and on the local account, binding ids in one unique
// index with the cancellations, and its calls to the portal in an outbox (docs/integration.md §5).
import crypto from 'node:crypto'
import express from 'express'
import * as jose from 'jose'
import * as oidc from 'openid-client'

const { ISSUER, CLIENT_ID, CLIENT_SECRET, PORT = '3000' } = process.env
const BASE_URL = process.env.BASE_URL ?? `http://127.0.0.1:${PORT}`
// openid-client refuses plain http: allowed here only for the loopback portal of development and tests.
const insecure = new URL(ISSUER).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}
const config = await oidc.discovery(new URL(ISSUER), CLIENT_ID, undefined, oidc.ClientSecretBasic(CLIENT_SECRET),
  insecure)
const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri))
const issuer = config.serverMetadata().issuer

const hash = password => crypto.scryptSync(password, 'sample-salt', 32).toString('hex')
const accounts = new Map([['node_demo', hash('Local@2026pass')]]) // username → password hash
const links = new Map() // portal sub → { account, kind, bindingId }
const settled = new Set() // binding ids linked or cancelled: one binding id links at most once
const sessions = new Map() // cookie → { sub, sid, account, login, binding }

const esc = s => String(s).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
const page = (title, body) => `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><h1>${esc(title)}</h1>${body}`

function session (req, res) {
  if (req.session) return req.session // one per request, even before the browser has our cookie
  const id = /(?:^|;\s*)sample_session=([\w-]+)/.exec(req.get('cookie') ?? '')?.[1]
  if (id && sessions.has(id)) return (req.session = sessions.get(id))
  const fresh = crypto.randomUUID()
  sessions.set(fresh, {})
  res.cookie('sample_session', fresh, { httpOnly: true, sameSite: 'lax' })
  return (req.session = sessions.get(fresh))
}

// The portal's binding endpoints, with our client credentials (HTTP Basic, as at the token endpoint).
async function portal (method, path, body) {
  const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')
  const answer = await fetch(new URL(path, issuer + '/'), {
    method, headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body)
  })
  if (!answer.ok) throw new Error(`${method} ${path}: HTTP ${answer.status}`)
  return answer.json()
}

async function toPortal (req, res, extra = {}) {
  const s = session(req, res)
  s.login = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() }
  res.redirect(303, oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${BASE_URL}/auth/callback`, scope: 'openid profile', state: s.login.state, nonce: s.login.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(s.login.verifier), code_challenge_method: 'S256', ...extra
  }).href)
}

async function link (res, s, account, kind) {
  const { intent } = s.binding
  delete s.binding
  const refusal = intent.expires_at * 1000 <= Date.now() ? 'expired'
    : links.has(intent.sub) ? 'subject_already_linked'
      : [...links.values()].some(l => l.account === account) ? 'local_account_taken' : null
  if (refusal || settled.has(intent.binding_id)) { // settled: cancelled by the portal meanwhile
    if (refusal) await portal('POST', `api/bindings/${intent.binding_id}/refused`, { reason: refusal }).catch(() => {})
    return res.status(409).send(page('授权绑定', `<p id="refused">用户绑定授权异常：${esc(refusal ?? 'cancelled')}</p>`))
  }
  links.set(intent.sub, { account, kind, bindingId: intent.binding_id })
  settled.add(intent.binding_id)
  // A real system sends this from its outbox until answered; should it be lost, the portal's
  // reconciler asks our status endpoint and finds the link.
  await portal('POST', `api/bindings/${intent.binding_id}/confirm`, { kind, local_account: account }).catch(() => {})
  res.redirect(303, `${issuer}/space/bindings?result=linked&client_id=${encodeURIComponent(CLIENT_ID)}`)
}

const app = express()
app.use(express.urlencoded({ extended: false }))

app.get('/', (req, res) => {
  const s = session(req, res)
  res.send(page('示例业务系统', s.account
    ? `<p>本系统账号：<span id="local-account">${esc(s.account)}</span></p><p>门户用户：<span id="portal-sub">${esc(s.sub)}</span></p>`
    : s.sub ? '<p id="not-linked">您的政务服务门户账号尚未授权绑定本系统，请在政务服务门户“我的绑定”中授权绑定。</p>'
      : '<p id="not-logged-in"><a href="/auth/login">政务服务门户登录</a></p>'))
})

app.get('/auth/login', async (req, res) => { // also the initiate_login_uri of 我的绑定 (iss must be ours)
  if (req.query.iss !== undefined && req.query.iss !== issuer) return res.status(400).send(page('登录', '<p>iss 不符</p>'))
  await toPortal(req, res)
})

app.get('/auth/callback', async (req, res) => {
  const s = session(req, res)
  const login = s.login
  delete s.login
  let claims
  try {
    // state, iss (RFC 9207), the code with the PKCE verifier, then the ID token: iss, aud, exp, iat, nonce…
    const tokens = await oidc.authorizationCodeGrant(config, new URL(req.originalUrl, BASE_URL), {
      pkceCodeVerifier: login?.verifier, expectedState: login?.state, expectedNonce: login?.nonce, idTokenExpected: true
    })
    // …and its signature against the portal's JWKS (openid-client trusts the TLS channel instead).
    claims = (await jose.jwtVerify(tokens.id_token, jwks, { issuer, audience: CLIENT_ID, typ: 'JWT' })).payload
  } catch (error) {
    return res.status(403).send(page('登录失败', `<p id="login-failed">${esc(error.error ?? error.message)}</p>`))
  }
  if (s.binding && !s.binding.checked) { // the subject check: the browser's portal user started this binding
    if (claims.sub !== (s.binding.intent.actor_sub ?? s.binding.intent.sub)) {
      delete s.binding
      return res.status(403).send(page('授权绑定', '<p id="refused">当前登录的门户用户不是发起绑定的用户。</p>'))
    }
    s.binding.checked = true
    if (s.binding.intent.mode === 'create') return link(res, s, `node_${crypto.randomBytes(4).toString('hex')}`, 'created')
    return res.redirect(303, '/binding/start')
  }
  Object.assign(s, { sub: claims.sub, sid: claims.sid, account: links.get(claims.sub)?.account })
  res.redirect(303, '/')
})

app.get('/binding/start', async (req, res) => {
  const s = session(req, res)
  if (req.query.binding === undefined && s.binding?.checked) { // 已有用户的登录授权: our own login form
    return res.send(page('已有用户的登录授权', `<form method="post" action="/binding/start">
      <input type="hidden" name="csrf" value="${esc(s.binding.csrf)}"><input name="username"> <input name="password" type="password">
      <button>授权绑定</button></form>`))
  }
  const id = String(req.query.binding ?? '')
  const intent = /^[\w-]{1,64}$/.test(id) ? await portal('GET', `api/bindings/${id}`).catch(() => null) : null
  if (!intent || intent.binding_id !== id || intent.client_id !== CLIENT_ID || intent.state !== 'pending') {
    return res.status(400).send(page('授权绑定', '<p id="refused">绑定请求无效。</p>'))
  }
  s.binding = { intent, checked: false, csrf: crypto.randomBytes(16).toString('hex') }
  await toPortal(req, res, { prompt: 'none', scope: 'openid' }) // silent: no consent page can interrupt
})

app.post('/binding/start', async (req, res) => {
  const s = session(req, res)
  if (!s.binding?.checked || req.body.csrf !== s.binding.csrf) return res.status(403).send(page('授权绑定', '<p>请求无效</p>'))
  const stored = accounts.get(req.body.username)
  if (!stored) return res.status(400).send(page('授权绑定', '<p id="error">用户绑定授权异常: 用户不存在</p>'))
  if (!crypto.timingSafeEqual(Buffer.from(stored), Buffer.from(hash(req.body.password ?? '')))) {
    return res.status(400).send(page('授权绑定', '<p id="error">用户绑定授权异常: 密码错误</p>'))
  }
  await link(res, s, req.body.username, 'existing')
})

// The binding API the portal calls: a JWT signed by the portal (typ binding+jwt) naming exactly the request.
const portalRequest = (action, handle) => async (req, res) => {
  let claims
  try {
    const token = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? ''
    claims = (await jose.jwtVerify(token, jwks, {
      issuer, audience: CLIENT_ID, typ: 'binding+jwt', maxTokenAge: 120, requiredClaims: ['iat', 'exp', 'jti']
    })).payload
    const named = { binding_id: req.params.binding_id, sub: req.params.sub }
    if (claims.action !== action || claims.exp - claims.iat > 120 ||
        Object.entries(named).some(([name, value]) => value !== undefined && claims[name] !== value)) {
      throw new Error('the token names another request')
    }
  } catch (error) {
    return res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid_token' })
  }
  res.set('Cache-Control', 'no-store')
  handle(req, res, claims)
}
const status = id => {
  const found = [...links.values()].find(l => l.bindingId === id)
  return found ? { status: 'linked', kind: found.kind, local_account: found.account }
    : { status: settled.has(id) ? 'cancelled' : 'unknown' }
}
app.get('/binding-api/bindings/:binding_id', portalRequest('status', (req, res) => res.json(status(req.params.binding_id))))
app.post('/binding-api/bindings/:binding_id/cancel', portalRequest('cancel', (req, res) => {
  settled.add(req.params.binding_id) // a tombstone, unless it linked: a late completion is then refused
  res.json(status(req.params.binding_id))
}))
app.delete('/binding-api/links/:sub', portalRequest('unlink', (req, res, claims) => {
  const found = links.get(req.params.sub)
  const ours = found?.bindingId === claims.binding_id ? found : undefined // a newer binding's link is not this request's
  if (ours?.kind === 'created' && claims.force !== true) return res.status(409).json({ error: 'created_not_unbindable' })
  if (ours) {
    links.delete(req.params.sub)
    for (const s of sessions.values()) if (s.sub === req.params.sub) s.account = undefined
  }
  res.status(204).end() // idempotent: no link is answered the same
}))

// Back-channel logout: a logout token (typ logout+jwt) ends our sessions of that sid, else of that sub.
app.post('/auth/backchannel-logout', async (req, res) => {
  try {
    const { payload } = await jose.jwtVerify(req.body.logout_token ?? '', jwks, {
      issuer, audience: CLIENT_ID, typ: 'logout+jwt', maxTokenAge: 120
    })
    if (!payload.events?.['http://schemas.openid.net/event/backchannel-logout'] || 'nonce' in payload) throw new Error()
    for (const [id, s] of sessions) if (payload.sid ? s.sid === payload.sid : s.sub === payload.sub) sessions.delete(id)
    res.status(200).end()
  } catch {
    res.status(400).json({ error: 'invalid_request' })
  }
})

app.listen(Number(PORT), '127.0.0.1', () => console.log(`sample system on ${BASE_URL}, issuer ${issuer}`))
