// One PouchDB client step against REMOTE; prints one JSON line (python -m bench pouch runs it).
//   node client.js load   LOCAL_DIR DOCS.json    store the docs locally (not timed on the wire)
//   node client.js push   LOCAL_DIR REMOTE BATCH one-shot replication local -> remote
//   node client.js pull   LOCAL_DIR REMOTE BATCH one-shot replication remote -> local
//   node client.js sync   LOCAL_DIR REMOTE BATCH one-shot two-way sync (what an app runs)
'use strict';
const fs = require('fs');
const PouchDB = require('pouchdb-node');

async function main() {
  const [step, localDir, arg, batch] = process.argv.slice(2);
  const local = new PouchDB(localDir);
  const started = process.hrtime.bigint();
  let result;
  if (step === 'load') {
    const docs = JSON.parse(fs.readFileSync(arg, 'utf8'));
    const res = await local.bulkDocs(docs);
    const bad = res.filter((r) => r.error);
    if (bad.length) throw new Error('load failed: ' + JSON.stringify(bad.slice(0, 3)));
    result = { docs: docs.length };
  } else {
    const remote = new PouchDB(arg);
    const opts = { batch_size: Number(batch) || 100 };
    let info;
    if (step === 'push') info = await local.replicate.to(remote, opts);
    else if (step === 'pull') info = await local.replicate.from(remote, opts);
    else if (step === 'sync') info = await local.sync(remote, opts);
    else throw new Error('unknown step ' + step);
    const part = (i) => ({ docs_read: i.docs_read, docs_written: i.docs_written, status: i.status });
    result = info.push ? { push: part(info.push), pull: part(info.pull) } : part(info);
  }
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await local.close();
  console.log(JSON.stringify(result));
}

main().catch((err) => { console.error(err); process.exit(1); });
