// Runs portable test modules inside MicroPython (WebAssembly build) under Node.js.
//   node run_micropython.mjs --lib DIR [--lib DIR ...] TEST.py [TEST.py ...]
// Each --lib DIR is copied into /lib (a package keeps its folder name), and so is each
// file; every test_* function of every test_*.py and mp_test_*.py module runs; a coroutine result is awaited. One line per test:
//   PASS module name | FAIL module name, then the traceback; exit 1 on any failure.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const libs = [];
const tests = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--lib") libs.push(argv[++i]);
  else tests.push(argv[i]);
}
if (tests.length === 0) {
  console.error("no test modules given");
  process.exit(2);
}

const mp = await loadMicroPython({
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
});

function copyTree(src, dest) {
  mp.FS.mkdirTree(dest);
  for (const name of readdirSync(src)) {
    const path = join(src, name);
    if (statSync(path).isDirectory()) {
      if (name !== "__pycache__") copyTree(path, join(dest, name));
    } else if (name.endsWith(".py")) {
      mp.FS.writeFile(join(dest, name), readFileSync(path));
    }
  }
}

mp.FS.mkdirTree("/lib");
for (const lib of libs) copyTree(lib, join("/lib", basename(lib)));
const modules = [];
for (const test of tests) {
  mp.FS.writeFile(join("/lib", basename(test)), readFileSync(test));
  const name = basename(test);
  if (name.startsWith("test_") || name.startsWith("mp_test_")) modules.push(basename(test, ".py"));
}

const program = `
import sys
_passed = 0
_failed = 0
for _name in ${JSON.stringify(modules)}:
    try:
        _mod = __import__(_name)
    except Exception as _e:
        print("FAIL", _name, "<import>")
        sys.print_exception(_e)
        _failed += 1
        continue
    for _fn in sorted(dir(_mod)):
        if not _fn.startswith("test_"):
            continue
        try:
            _result = getattr(_mod, _fn)()
            if _result is not None and hasattr(_result, "send"):
                await _result
            print("PASS", _name, _fn)
            _passed += 1
        except Exception as _e:
            print("FAIL", _name, _fn)
            sys.print_exception(_e)
            _failed += 1
print("MICROPYTHON", sys.implementation.version, "%d passed, %d failed" % (_passed, _failed))
`;
await mp.runPythonAsync(program);
const passed = mp.globals.get("_passed");
const failed = mp.globals.get("_failed");
process.exit(failed === 0 && passed > 0 ? 0 : 1);
