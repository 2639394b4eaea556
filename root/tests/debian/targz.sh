# Debian's tar and gzip (tests/system/debian.py, tar_gzip).
set -e
cd /tmp
rm -rf tt tt.tgz
mkdir -p tt/d
echo data > tt/d/f
tar czf tt.tgz tt
rm -r tt
gzip -t tt.tgz
tar xzf tt.tgz
cat tt/d/f
tar tzf tt.tgz | sort
