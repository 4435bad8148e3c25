// A certified OpenID Connect provider (the npm package oidc-provider) for the tests: one issuer on a
// loopback port, the clients, users and signing keys of a JSON file given as the only argument:
//
//   {"port": 0, "audience": "https://auction.test/api", "clients": [...], "keys": [private JWKs],
//    "users": {"login": {"claims": {...}, "access": {...}}}}
//
// Users sign in on the provider's development login form (any password; the login names the user).
// Access tokens are JWTs for the one resource server "audience", carrying each user's "access"
// claims (their role and office, as a court's provider would add them); ID tokens carry "claims".
// Prints one line "listening <issuer>" on stdout once it serves.
import { readFileSync } from "node:fs";
import http from "node:http";
import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const users = config.users;

const server = http.createServer();
server.listen(config.port || 0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: config.keys },
    cookies: { keys: ["test-cookie-key-0123456789abcdef"] },
    pkce: { required: () => true },
    claims: { openid: ["sub"], profile: ["name"] },
    conformIdTokenClaims: false,
    ttl: { AccessToken: 600, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60 },
    findAccount: async (ctx, id) =>
      users[id] && { accountId: id, claims: async () => ({ sub: id, ...users[id].claims }) },
    extraTokenClaims: async (ctx, token) =>
      token.kind === "AccessToken" && users[token.accountId] ? users[token.accountId].access : undefined,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: "auction",
          audience: config.audience,
          accessTokenFormat: "jwt",
          accessTokenTTL: 600,
          jwt: { sign: { alg: config.keys[0].alg || "RS256" } },
        }),
      },
    },
  });
  provider.proxy = false;
  server.on("request", provider.callback());
  process.stdout.write(`listening ${issuer}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
