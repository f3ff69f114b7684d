# Run inside the emulator guest (python3 tests/vm/rig.py run -- sh tests/unit/core/data/ipvsadm-save-shapes.sh) to remake
# ipvsadm-save-shapes.txt: a table of ipvsadm's own making, then its `ipvsadm -S -n` (some commands fail on
# purpose: the kernel refuses them, and the table shows what was taken).
ip netns add t1
ip -n t1 link add d0 type dummy; ip -n t1 link set d0 up; ip -n t1 link set lo up
ip -n t1 addr add 10.0.0.1/24 dev d0; ip -n t1 route add default dev d0
ip -n t1 -6 route add default dev d0
X="ip netns exec t1 ipvsadm"
$X -A -t 10.0.0.100:80 -s wrr -p 1800
$X -a -t 10.0.0.100:80 -r 10.0.0.10:80 -g -w 1
$X -a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 0
$X -a -t 10.0.0.100:80 -r 9.0.0.11:80 -m -w 3
$X -a -t 10.0.0.100:80 -r 200.0.0.11:80 -i -w 3
$X -a -t 10.0.0.100:80 -r 10.0.0.12:81 -g -w 3
$X -a -t 10.0.0.100:80 -r 10.0.0.13 -m -w 3
$X -A -u 10.0.0.100:53 -s rr -o
$X -a -u 10.0.0.100:53 -r 10.0.0.10:5353 -m -w 2
$X -A -t 10.0.0.100:443 -s sh -b sh-fallback,sh-port
$X -A -t 10.0.0.100:0 -s wlc -p 300 -M 255.255.255.0
$X -a -t 10.0.0.100:0 -r 10.0.0.10 -g
$X -A -f 1 -s wlc
$X -a -f 1 -r 192.168.10.1:0 -m -w 1
$X -a -f 1 -r 192.168.10.2 -g -w 1
$X -a -f 1 -r 192.168.10.3:99 -m -w 1
$X -A -f 7 -6 -s lc -p 60 -M 64
$X -a -f 7 -6 -r [2001:db8::1]:0 -g -w 1
$X -A -t [2001:db8::80]:80 -s rr
$X -a -t [2001:db8::80]:80 -r [2001:db8::a0a0]:80 -m -w 1
$X -a -t [2001:db8::80]:80 -r [2001:db8::a0a0]:8080 -m -w 1
$X -a -t [2001:db8::80]:80 -r [fe80::1]:8080 -m -w 1
$X -A -t [2001:db8::81]:80 -s rr -p 100
$X -A -t [2001:db8::82]:80 -s rr -p 100 -M 48
$X -A --sctp-service 10.0.0.100:9 -s mh -b mh-port
$X -A --sctp-service 10.0.0.101:9 -s wlc -b flag-1,flag-3
$X -A -t 10.0.0.102:80 -s wrr -b flag-2
$X -a -t 10.0.0.102:80 -r 10.0.0.50:8080 -g -w 5
$X -a -t 10.0.0.102:80 -r 10.0.0.51:8080 -i -w 5
$X -a -t 10.0.0.102:80 -r 10.0.0.52:8080 -m -w 65535
$X -A -t 10.0.0.103:80 -s dh
$X -A -t 10.0.0.104:80 -s nq -p 1
$X -A -t 10.0.0.105:80 -s fo -p
$X -A -t 10.0.0.106:80 -s ovf
$X -A -t 10.0.0.107:80 -s lblcr
$X -A -t 10.0.0.108:80 -s twos
$X -A -t 10.0.0.109:80 -s bogus
echo rc=$?
$X -E -t 10.0.0.102:80 -s wrr
$X -A -t 200.0.0.1:80
$X -A -t 1.0.0.1:80
$X -A -f 4294967295
$X -A -f 3
$X -A -f 3 -6
$X -A -u [::1]:53 
$X -S -n
echo ===; $X -L -n
