// Run by `npm install` when node-gyp cannot build the addon: installing must still succeed, because Kiln
// then runs on its js backend (and says so, once, when it first runs an op).
import process from 'node:process';

process.stderr.write(
  'kiln: the native backend could not be built (see the node-gyp output above); Kiln will run on the slower ' +
    'js backend. To build it, install a C++17 compiler, Python 3 and make, then run `npm rebuild kiln` ' +
    '(`npm run install` in a Kiln checkout).\n',
);
