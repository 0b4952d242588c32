"""The bundled userland: C sources (src/), their build script (build.py) and the built
WASI programs (bin/*.wasm) that `wasios shell` mounts at /bin."""
