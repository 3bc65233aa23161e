# tests/helpers/fetch.sh - checks shared by the oci-fetch tests (sourced,
# after registry.sh). Images are those make_image put in $TRASH/images.

# every blob in the cache matches its name; index.json parses; nothing
# but the layout's own files lies in the cache (no partial downloads)
cache_valid () {
	jq -e '.manifests | type == "array"' "$1/index.json" >/dev/null || return 1
	for b in "$1"/blobs/sha256/*; do
		test -e "$b" || continue
		test "$(sha256sum <"$b" | cut -d" " -f1)" = "$(basename "$b")" ||
		{ echo "corrupt blob $b"; return 1; }
	done
	_stray=$(find "$1" -type f ! -path "$1/blobs/sha256/*" \
	    ! -name index.json ! -name oci-layout ! -name .lock)
	test -z "$_stray" || { echo "stray files: $_stray"; return 1; }
}

# the digests in a cache, sorted
cache_blobs () {
	ls "$1/blobs/sha256" 2>/dev/null | sed 's/^/sha256:/' | sort
}

# digests of a source image: src_root NAME, src_all NAME,
# src_blobs NAME PLATFORM|attestations
src_root () { $OCITEST blobs "$TRASH/images" "$1" root; }
src_all () { $OCITEST blobs "$TRASH/images" "$1" all; }
src_blobs () { $OCITEST blobs "$TRASH/images" "$1" "$2"; }
