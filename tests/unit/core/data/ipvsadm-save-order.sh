# Run inside the emulator guest (python3 tests/vm/rig.py run -- sh tests/unit/core/data/ipvsadm-save-order.sh) to remake
# ipvsadm-save-order.txt: a table of ipvsadm's own making, then its `ipvsadm -S -n` (some commands fail on
# purpose: the kernel refuses them, and the table shows what was taken).
ip netns add g1
ip -n g1 link add d0 type dummy; ip -n g1 link set d0 up; ip -n g1 link set lo up
ip -n g1 addr add 10.0.0.1/24 dev d0; ip -n g1 route add default dev d0; ip -n g1 -6 route add default dev d0
X="ip netns exec g1 ipvsadm"
for a in 1.0.0.1 100.0.0.1 200.0.0.1 127.255.255.255 128.0.0.0 10.0.0.5 250.1.1.1 64.0.0.1 192.168.1.1 172.16.0.1 129.0.0.1 0.0.0.1 255.255.255.254; do
  $X -A -t $a:80 -s rr
done
for a in 1.0.0.1 100.0.0.1 200.0.0.1 127.255.255.255 128.0.0.0 10.0.0.5 250.1.1.1 64.0.0.1 192.168.1.1 172.16.0.1 129.0.0.1 0.0.0.2 223.255.255.254; do
  $X -a -t 1.0.0.1:80 -r $a:80 -m -w 1
done
$X -a -t 1.0.0.1:80 -r 100.0.0.1:81 -m -w 2
$X -a -t 1.0.0.1:80 -r 100.0.0.1:79 -m -w 2
for m in 1 2147483647 2147483648 2147483649 4294967295 3000000000 5 1000000000; do $X -A -f $m -s wlc; done
$X -A -t [2001:db8:0:0:1:0:0:1]:80 -s wrr -p 10 -M 127
$X -A -t [8000::1]:80 -s wrr
$X -A -t [::1]:80 -s wrr
$X -A -t [ffff::1]:80 -s wrr
$X -A -t [2001:db8:0:1:1:1:1:1]:443 -s wrr
for a in 2001:db8:0:1:1:1:1:1 ::ffff:1.2.3.4 8000::1 ::1 ffff::2 2001:db8::1:0:0:1 fe80::1 2001:0:0:1::1; do
  $X -a -t [2001:db8:0:1:1:1:1:1]:443 -r [$a]:443 -m -w 3
done
$X -A -u 10.0.0.5:53 -s sh -b sh-fallback
$X -A -u 10.0.0.5:54 -s sh -b flag-3
$X -A -u 10.0.0.5:55 -s mh -b mh-fallback,mh-port,flag-3
$X -A -u 10.0.0.5:56 -s wrr -o -b flag-1,flag-2,flag-3 -p 100 -M 255.255.0.0
$X -A -t 10.0.0.5:0 -s wlc -p 65535 -M 128.0.0.0
echo "=== nosort"; $X -L -n --nosort; echo "=== golden"
$X -S -n
