# Process substitution: bash hands its commands /dev/fd/N of a pipe.
cat <(echo sub)
while read -r l; do echo "got $l"; done < <(echo in)
echo err >/dev/stderr
