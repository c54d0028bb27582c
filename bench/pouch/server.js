// express-pouchdb over LevelDB in DATA_DIR, on 127.0.0.1:PORT (python -m bench pouch starts it).
'use strict';
const path = require('path');
const express = require('express');
const PouchDB = require('pouchdb-node');

const [port, dataDir] = process.argv.slice(2);
const DB = PouchDB.defaults({ prefix: path.join(dataDir, '/') });
const app = express();
app.use('/', require('express-pouchdb')(DB, {
  mode: 'minimumForPouchDB',
  inMemoryConfig: true,
  logPath: path.join(dataDir, 'log.txt'),
}));
app.listen(Number(port), '127.0.0.1', () => console.log('listening ' + port));
