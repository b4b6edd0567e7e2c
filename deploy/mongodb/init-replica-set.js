// govbus — one-shot MongoDB replica-set initialisation for deploy/compose.yaml.
//
// Run by the `mongo-init` container inside mongo-0's network namespace, so that its
// connection to 127.0.0.1 counts as "localhost" for MongoDB's localhost exception
// (the first user of a keyFile-protected replica set can only be created that way).
// Idempotent: re-running it on a live set changes nothing but passwords.
//
//   1. rs.initiate rs0 with mongo-0 (priority 2), mongo-1, mongo-2
//   2. wait for a primary
//   3. create the root user `root` in admin (first run only, via the localhost exception)
//   4. one user per service, readWrite on govbus_<service> only (authSource = that db)
//
// Environment: MONGO_ROOT_PASSWORD, GOVBUS_MONGO_PW_<SERVICE> for the six services.
// Passwords: letters and digits, a letter first (`echo "p$(openssl rand -hex 24)"`), they go into URLs unescaped.

const SERVICES = ["documents", "supervision", "complaints", "tendering", "disclosure", "appraisal"];
const MEMBERS = ["mongo-0:27017", "mongo-1:27017", "mongo-2:27017"];
const MAJORITY = { w: "majority", wtimeout: 10000 };

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function waitFor(what, test, seconds) {
  for (let i = 0; i < seconds; i++) {
    try { if (test()) return; } catch (e) { /* not yet */ }
    sleep(1000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const rootPassword = env("MONGO_ROOT_PASSWORD");
const servicePasswords = Object.fromEntries(
  SERVICES.map((s) => [s, env(`GOVBUS_MONGO_PW_${s.toUpperCase()}`)]));

// 1. Replica set (hello needs no authentication).
const hello = db.adminCommand({ hello: 1 });
if (!hello.setName) {
  print("initiating replica set rs0");
  rs.initiate({
    _id: "rs0",
    members: MEMBERS.map((host, i) => ({ _id: i, host, priority: i === 0 ? 2 : 1 })),
  });
}

// 2. A primary somewhere in the set.
waitFor("a primary", () => db.adminCommand({ hello: 1 }).primary, 120);

// 3. Root user. On the first run mongo-0 is primary (priority 2) and has no user yet.
const admin = db.getSiblingDB("admin");
let authenticated = false;
try {
  admin.auth("root", rootPassword);
  authenticated = true;
} catch (e) {
  print(`root cannot authenticate (${e.message}); creating it via the localhost exception`);
}
if (!authenticated) {
  waitFor("mongo-0 to be primary", () => db.adminCommand({ hello: 1 }).isWritablePrimary, 60);
  admin.createUser(
    { user: "root", pwd: rootPassword, roles: [{ role: "root", db: "admin" }] }, MAJORITY);
  admin.auth("root", rootPassword);
}

// 4. Service users, through a replica-set connection (writes go to whichever node is primary).
const rsConn = new Mongo(
  `mongodb://root:${rootPassword}@${MEMBERS.join(",")}/admin?replicaSet=rs0&authSource=admin`);
for (const service of SERVICES) {
  const dbName = `govbus_${service}`;
  const target = rsConn.getDB(dbName);
  const roles = [{ role: "readWrite", db: dbName }];
  if (target.getUser(service)) {
    target.updateUser(service, { pwd: servicePasswords[service], roles }, MAJORITY);
    print(`updated user ${service} on ${dbName}`);
  } else {
    target.createUser({ user: service, pwd: servicePasswords[service], roles }, MAJORITY);
    print(`created user ${service} on ${dbName}`);
  }
}
print("replica set rs0 ready:", JSON.stringify(rs.status().members.map((m) => `${m.name} ${m.stateStr}`)));
