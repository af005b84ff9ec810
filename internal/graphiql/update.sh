#!/usr/bin/env bash
# Refreshes the GraphiQL page's third-party files in static/vendor from the
# npm registry:
#
#   internal/graphiql/update.sh                      # the versions pinned below
#   GRAPHIQL_VERSION=3.8.3 REACT_VERSION=18.3.1 internal/graphiql/update.sh
#
# For each package it downloads the tarball with npm, checks it against the
# registry's dist.integrity, and extracts the browser bundle and the
# package's licence. It writes a gzip copy of every bundle (served to
# clients that accept gzip), then records the packages' versions and
# integrity in static/vendor/VERSIONS and every file's SHA-256 in
# static/vendor/SHA256SUMS (`sha256sum -c` reads it). Run with the same
# versions, it leaves the tree unchanged. The Go tests check the embedded
# files against SHA256SUMS; go generate does not run this script, since it
# needs the network.
#
# Needs bash, npm, tar, gzip, openssl and sha256sum.
set -euo pipefail
cd "$(dirname "$0")"

GRAPHIQL_VERSION=${GRAPHIQL_VERSION:-3.8.3}
# graphiql 3 takes React 16.8 to 18; React 19 ships no UMD build.
REACT_VERSION=${REACT_VERSION:-18.3.1}

die() {
	echo "update.sh: $*" >&2
	exit 1
}

for tool in npm tar gzip openssl sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done
for v in "$GRAPHIQL_VERSION" "$REACT_VERSION"; do
	[[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "want an exact version like 1.2.3, not '$v'"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/vendor"
mkdir -p "$out"
: >"$work/VERSIONS"

# fetch PACKAGE VERSION: downloads the tarball, verifies it against the
# registry's dist.integrity and unpacks it into $work/PACKAGE.
fetch() {
	local pkg=$1 ver=$2 integrity algo want got tgz
	integrity=$(npm view "$pkg@$ver" dist.integrity)
	[[ -n $integrity ]] || die "$pkg@$ver: the registry has no such version"
	algo=${integrity%%-*}
	want=${integrity#*-}
	[[ $algo == sha512 || $algo == sha384 || $algo == sha256 ]] ||
		die "$pkg@$ver: unexpected integrity '$integrity'"
	tgz=$(cd "$work" && npm pack "$pkg@$ver" --silent)
	got=$(openssl dgst "-$algo" -binary "$work/$tgz" | openssl base64 -A)
	[[ $got == "$want" ]] || die "$pkg@$ver: the tarball does not match the registry's integrity $integrity"
	mkdir -p "$work/$pkg"
	tar -xzf "$work/$tgz" -C "$work/$pkg" --strip-components=1
	printf '%s %s %s\n' "$pkg" "$ver" "$integrity" >>"$work/VERSIONS"
	echo "$pkg@$ver: $integrity verified"
}

# take PACKAGE FILE...: copies the package's files into $out/PACKAGE.
take() {
	local pkg=$1 f
	shift
	mkdir -p "$out/$pkg"
	for f in "$@"; do
		[[ -s "$work/$pkg/$f" ]] || die "$pkg has no $f"
		cp "$work/$pkg/$f" "$out/$pkg/$(basename "$f")"
	done
}

fetch graphiql "$GRAPHIQL_VERSION"
fetch react "$REACT_VERSION"
fetch react-dom "$REACT_VERSION"

# graphiql's browser bundle expects React and ReactDOM as globals.
take graphiql LICENSE graphiql.min.js graphiql.min.css
take react LICENSE umd/react.production.min.js
take react-dom LICENSE umd/react-dom.production.min.js

# The page's Content-Security-Policy lets nothing load from another origin:
# the stylesheet may refer to data: URLs only (its fonts are inlined).
css="$out/graphiql/graphiql.min.css"
if grep -Eiq '@import' "$css"; then
	die "graphiql.min.css imports another stylesheet"
fi
if grep -Eio 'url\([^)]*\)' "$css" | grep -Eiv "^url\([\"']?data:" | grep -q .; then
	die "graphiql.min.css loads a url() that is not a data: URL"
fi

for f in "$out"/*/*.js "$out"/*/*.css; do
	gzip -9 -n -c "$f" >"$f.gz"
done

mv "$work/VERSIONS" "$out/VERSIONS"
(cd "$out" && find . -type f ! -name VERSIONS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum) >"$work/SHA256SUMS"
mv "$work/SHA256SUMS" "$out/SHA256SUMS"

rm -rf static/vendor
mkdir -p static
mv "$out" static/vendor
echo "static/vendor: GraphiQL $GRAPHIQL_VERSION, React $REACT_VERSION"
