// The unmodified 0G SDK (@0glabs/0g-serving-broker 0.4.4) as the
// fine-tuning users of a broker: broker/tests/e2e_broker.rs runs
// `node tuning.js <config.json>`. Each user in turn opens a ledger, finds the
// service and its model, acknowledges the provider signer, creates a task
// with the SDK's signed request and follows it to delivery. The first
// acknowledges the deliverable, waits for the settlement and opens the model
// with the SDK's own `decryptModel`; the second never acknowledges (the
// broker settles with the penalty). Prints a JSON summary; exits 1 on the
// first failure.
//
// The SDK's `acknowledgeModel` downloads the model from 0G storage, which a
// local chain does not have: the model is fetched from the broker instead,
// checked against the deliverable's root, and acknowledged on the contract
// through the SDK's own contract client (see below for why not through its
// `acknowledgeDeliverable`).
const fs = require("fs");
const os = require("os");
const path = require("path");
const { ethers } = require("ethers");
const { createZGComputeNetworkBroker } = require("@0glabs/0g-serving-broker");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, check, seconds = 60) {
  for (let i = 0; i < seconds * 10; i++) {
    const value = await check();
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function user(config, index, dir) {
  const rpc = new ethers.JsonRpcProvider(config.rpc);
  rpc.pollingInterval = 100;
  const wallet = new ethers.Wallet(config.keys[index], rpc);
  const broker = await createZGComputeNetworkBroker(
    wallet,
    config.ledger,
    config.inference,
    config.fine_tuning,
  );
  const tuning = broker.fineTuning;
  await broker.ledger.addLedger(1);
  const services = await tuning.listService();
  const service = services.find((s) => s.provider.toLowerCase() === config.provider.toLowerCase());
  if (!service) throw new Error(`fine-tuning service of ${config.provider} not listed`);
  const [, customized] = await tuning.listModel();
  if (!customized.some(([name]) => name === config.model)) {
    throw new Error(`model ${config.model} not listed: ${JSON.stringify(customized)}`);
  }
  await tuning.acknowledgeProviderSigner(config.provider);

  const params = path.join(dir, `params-${index}.json`);
  fs.writeFileSync(params, JSON.stringify({ num_train_epochs: config.epochs }));
  const id = await tuning.createTask(
    config.provider,
    config.model,
    config.data_size,
    config.dataset_hash,
    params,
  );
  const delivered = await until("delivery", async () => {
    const task = await tuning.getTask(config.provider, id);
    if (task.progress === "Failed") throw new Error(`task failed: ${JSON.stringify(task)}`);
    return task.progress === "Delivered" && task;
  });
  const tasks = await tuning.listTask(config.provider);
  if (tasks.length !== 1 || tasks[0].id !== id) throw new Error(`listTask: ${JSON.stringify(tasks)}`);
  const log = await tuning.getLog(config.provider, id);
  if (!log.includes("delivered")) throw new Error(`log: ${log}`);

  const contract = tuning.modelProcessor.contract;
  const deliverable = await contract.getDeliverable(config.provider, id);
  const root = ethers.toUtf8String(deliverable.modelRootHash);
  if (root !== delivered.outputRootHash) throw new Error(`root ${root} != ${delivered.outputRootHash}`);
  const summary = { user: wallet.address, task: id, fee: delivered.fee };
  if (!config.acknowledge[index]) {
    await until("the penalty", async () => (await tuning.getTask(config.provider, id)).progress === "Finished");
    return { ...summary, acknowledged: false };
  }

  const response = await fetch(`${service.url}/v1/user/${wallet.address}/task/${id}/model`);
  if (!response.ok) throw new Error(`model download: ${response.status}`);
  const sealed = path.join(dir, `model-${index}.data`);
  fs.writeFileSync(sealed, Buffer.from(await response.arrayBuffer()));
  if (ethers.keccak256(fs.readFileSync(sealed)) !== root) throw new Error("the model is not the deliverable's");
  // The SDK's `acknowledgeDeliverable` names the function without its
  // parameters, which its own ABI makes ambiguous (two overloads): ethers
  // refuses it. The same contract client, with the full signature.
  const acknowledge = contract.serving.getFunction("acknowledgeDeliverable(address,string)");
  await (await acknowledge(config.provider, id)).wait();
  await until("the settlement", async () => (await tuning.getTask(config.provider, id)).progress === "Finished");
  const opened = path.join(dir, `model-${index}.bin`);
  await tuning.decryptModel(config.provider, id, sealed, opened);
  const model = ethers.sha256(fs.readFileSync(opened));
  return { ...summary, acknowledged: true, model_sha256: model };
}

// `node tuning.js <config.json>`: the users of `keys`, one after the other
// (the SDK asks on stdin when tasks are queued).
(async () => {
  const config = require(path.resolve(process.argv[2]));
  process.env.RPC_ENDPOINT = config.rpc; // a local node: no Automata quote check
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sdk-tuning-"));
  const results = [];
  for (let index = 0; index < config.keys.length; index++) {
    const started = Date.now();
    results.push(await user(config, index, dir));
    console.error(`SDK fine-tuning user ${index}: done in ${Date.now() - started} ms`);
  }
  console.log(JSON.stringify(results));
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
