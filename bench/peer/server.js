// The benchmark's peer: node's oidc-provider configured like the portal for the scenarios the
// benchmark drives (one confidential client with client_secret_basic, RS256 signing, refresh
// tokens with rotation, client_credentials, introspection), with a small interaction handler
// for the login: a form, then an argon2id verification of the password at the same parameters
// as the portal's, and a fixed captcha answer as the portal's test captcha provider has.
// Configuration comes from PEER_* environment variables set by bench/driver/servers.py.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';

import { hash, verify, Algorithm } from '@node-rs/argon2';
import Provider from 'oidc-provider';

import MapAdapter from './map_adapter.js';

const env = (name, fallback) => process.env[name] ?? fallback;
const port = Number(env('PEER_PORT', '3000'));
const issuer = `http://127.0.0.1:${port}`;
const argon2Options = {
  algorithm: Algorithm.Argon2id,
  memoryCost: Number(env('PEER_ARGON2_MEMORY_KIB', '19456')),
  timeCost: Number(env('PEER_ARGON2_TIME_COST', '2')),
  parallelism: Number(env('PEER_ARGON2_PARALLELISM', '1')),
};
const CAPTCHA_ANSWER = 'TEST';

// Accounts: username -> { subject, passwordHash }; hashed at start-up, as the portal's are stored.
const accounts = new Map();
const password = env('PEER_PASSWORD', 'Bench@2026pass');
for (const username of env('PEER_USERNAMES', 'bench0').split(',')) {
  accounts.set(username, { subject: randomUUID(), name: '张三', passwordHash: await hash(password, argon2Options) });
}
const subjects = new Map([...accounts.values()].map((a) => [a.subject, a]));
// Unknown usernames are verified against this, so timing does not tell who exists (as the portal).
const dummyHash = await hash('dummy password that matches nothing', argon2Options);

function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [{ ...rsa, kid: 'rs256-bench', alg: 'RS256', use: 'sig' }, { ...ec, kid: 'es256-bench', alg: 'ES256', use: 'sig' }];
}

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [{
    client_id: env('PEER_CLIENT_ID', 'bench-client'),
    client_secret: env('PEER_CLIENT_SECRET'),
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [env('PEER_REDIRECT_URI', 'http://127.0.0.1:9/callback')],
    scope: 'openid offline_access profile',
  }],
  jwks: { keys: signingKeys() },
  cookies: { keys: [randomUUID(), randomUUID()] },
  scopes: ['openid', 'offline_access', 'profile'],
  claims: { openid: ['sub'], profile: ['name'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
  },
  pkce: { required: () => false },
  // The portal issues a refresh token for offline_access without a consent screen for its own
  // systems; oidc-provider drops offline_access unless prompt=consent, so issue on the grant type.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 600,
    AuthorizationCode: Number(env('PEER_CODE_TTL_SECONDS', '60')),
    ClientCredentials: 600,
    IdToken: 600,
    Interaction: 900,
    Grant: 30 * 24 * 3600,
    RefreshToken: 30 * 24 * 3600,
    Session: 12 * 3600,
  },
  findAccount: async (ctx, sub) => {
    const account = subjects.get(sub);
    return account && { accountId: sub, claims: async () => ({ sub, name: account.name }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => { ctx.type = 'json'; ctx.body = out; },
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(res, uid, error) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><title>登录</title>${error ? `<p id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<input type="hidden" name="uid" value="${escape(uid)}">
<input name="username"><input name="password" type="password"><input name="captcha">
<button>登录</button></form>`);
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

async function passwordMatches(username, given) {
  const account = accounts.get(username);
  const ok = await verify(account ? account.passwordHash : dummyHash, given);
  return ok && account ? account : null;
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') throw new Error(`unexpected prompt ${details.prompt.name}`);
  if (req.method === 'GET') return loginPage(res, details.uid);
  const form = await formBody(req);
  if (form.get('captcha')?.toUpperCase() !== CAPTCHA_ANSWER) return loginPage(res, details.uid, '验证码错误');
  const account = await passwordMatches(form.get('username') ?? '', form.get('password') ?? '');
  if (!account) return loginPage(res, details.uid, '用户名或密码错误');
  // A first-party client: the scopes asked for are granted without a consent screen, as the
  // portal does for its own business systems.
  const grant = new provider.Grant({ accountId: account.subject, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { login: { accountId: account.subject }, consent: { grantId } },
    { mergeWithLastSubmission: false });
}

const oidc = provider.callback();
http.createServer((req, res) => {
  if (!req.url.startsWith('/interaction/')) return oidc(req, res);
  interaction(req, res).catch((err) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(err));
  });
}).listen(port, '127.0.0.1', () => console.log(`peer listening on ${issuer}`));
