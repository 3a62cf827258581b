#!/usr/bin/env bash
# gloo_group.cpp compiles against Debian's gloo headers, while the gloo that runs is the copy
# compiled into libtorch_cpu.so (another version). That is sound only while the object file
# neither defines nor calls anything of gloo's own: no function, vtable, typeinfo or static in
# namespace gloo, defined or undefined. Standard-library templates over gloo pointer types
# (std::shared_ptr<gloo::...>) are allowed: they touch only the control block libtorch made.
#   check_gloo_symbols.sh SOURCE OBJECT...
set -euo pipefail
src=$1
shift
[ -f "$src" ] || { echo "error: no source file $src" >&2; exit 1; }
[ $# -gt 0 ] || { echo "error: no object file given" >&2; exit 1; }

# The source reaches gloo only through c10d's header.
direct=$(grep -nE '^\s*#\s*include\s*[<"]gloo/' "$src" || true)
if [ -n "$direct" ]; then
  echo "error: $src includes gloo headers directly:" >&2
  echo "$direct" >&2
  exit 1
fi

status=0
for obj in "$@"; do
  [ -f "$obj" ] || { echo "error: no object file $obj" >&2; exit 1; }
  symbols=$(nm -C "$obj")
  # The object must really be the Gloo backend: it calls into c10d::ProcessGroupGloo.
  if ! grep -q 'c10d::ProcessGroupGloo::' <<<"$symbols"; then
    echo "error: $obj references no c10d::ProcessGroupGloo symbol: not the Gloo backend?" >&2
    exit 1
  fi
  own=$(grep -E '^[0-9a-f ]+ [A-Za-z] (gloo::|(vtable|typeinfo|typeinfo name|VTT|construction vtable|guard variable) for (const )?gloo::)' \
    <<<"$symbols" || true)
  if [ -n "$own" ]; then
    echo "error: $obj defines or calls gloo code of its own (compiled from Debian's headers):" >&2
    echo "$own" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "ok: $* define and call nothing in namespace gloo"
exit $status
