# Debian's sort, grep and cut (tests/system/debian.py, grep_sort).
printf 'pear\nfig\napple\n' | sort | grep -n p
grep -c '^root:' /etc/passwd
sort -t: -k3 -n /etc/passwd | head -1 | cut -d: -f1
