// The unmodified 0G SDK (@0glabs/0g-serving-broker 0.4.4) as the users of a
// broker: broker/tests/e2e_broker.rs runs `node users.js <config.json>` after
// `npm ci` here. Each user opens a ledger, finds the service, acknowledges
// the provider's TEE signer, sends chat requests through the broker with the
// SDK's headers and verifies every response with the SDK's own
// `processResponse`. Prints a JSON summary; exits 1 on the first failure.
const { ethers } = require("ethers");
const { createZGComputeNetworkBroker } = require("@0glabs/0g-serving-broker");

async function user(config, key, index) {
  const rpc = new ethers.JsonRpcProvider(config.rpc);
  // Receipts polled every 100 ms, not every 4 s (a local node mines at once).
  rpc.pollingInterval = 100;
  const wallet = new ethers.Wallet(key, rpc);
  const broker = await createZGComputeNetworkBroker(
    wallet,
    config.ledger,
    config.inference,
    config.fine_tuning,
  );
  await broker.ledger.addLedger(1);
  const services = await broker.inference.listService();
  const service = services.find(
    (s) => s.provider.toLowerCase() === config.provider.toLowerCase(),
  );
  if (!service) throw new Error(`service of ${config.provider} not listed`);
  await broker.inference.acknowledgeProviderSigner(config.provider);
  const { endpoint, model } = await broker.inference.getServiceMetadata(config.provider);
  const chats = [];
  for (let i = 0; i < config.requests; i++) {
    const content = `Question ${i} from user ${index}: what does a TEE attest?`;
    const headers = await broker.inference.getRequestHeaders(config.provider, content);
    const response = await fetch(`${endpoint}/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify({ messages: [{ role: "user", content }], model }),
    });
    if (!response.ok) {
      throw new Error(`request ${i}: ${response.status} ${await response.text()}`);
    }
    const data = await response.json();
    const answer = data.choices[0].message.content;
    const valid = await broker.inference.processResponse(config.provider, answer, data.id);
    if (valid !== true) throw new Error(`response ${data.id}: processResponse gave ${valid}`);
    chats.push(data.id);
  }
  return { user: wallet.address, verified: chats.length };
}

// `node users.js <config.json> <index>`: the user of `keys[index]` (one
// process per user: the SDK keeps its caches per process).
(async () => {
  const config = require(require("path").resolve(process.argv[2]));
  const index = Number(process.argv[3]);
  const started = Date.now();
  console.log(JSON.stringify(await user(config, config.keys[index], index)));
  console.error(`SDK user ${index}: ${config.requests} requests verified in ${Date.now() - started} ms`);
  // The SDK's caches keep timers alive for minutes: exit now.
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
