// Preloaded (NODE_OPTIONS=--import) into a CLI process by tests that must know a
// key before it is created: crypto.randomInt always answers 7, so the 40 random
// characters of a generated key are all '7'. Ids and passwords use randomBytes
// and stay random.
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
crypto.randomInt = () => 7;
syncBuiltinESMExports();
