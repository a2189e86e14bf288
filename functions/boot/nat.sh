# The NAT instance's own part (Amazon Linux 2023): forward and masquerade what the private subnets
# send, keep the rules across reboots, and log what it did. The header sets PRIVATE_CIDRS (an
# array of the private subnets' blocks).

log() { printf '%s nat-instance: %s\n' "$(date -u +%FT%TZ)" "$*"; }

# iptables-services keeps the rules in /etc/sysconfig/iptables across reboots.
dnf -y install iptables-services
cat > /etc/sysctl.d/90-nat.conf <<'SYSCTL'
net.ipv4.ip_forward = 1
net.ipv4.conf.all.send_redirects = 0
SYSCTL
sysctl --system >/dev/null

# The interface that carries the default route (ens5 on Nitro instances).
iface=$(ip -o -4 route show to default | awk '{print $5; exit}')
if [ -z "$iface" ]; then
    log "no default route: cannot masquerade"
    exit 1
fi

iptables -F FORWARD
iptables -t nat -F POSTROUTING
iptables -P FORWARD DROP
iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
for cidr in "${PRIVATE_CIDRS[@]}"; do
    iptables -A FORWARD -i "$iface" -s "$cidr" -o "$iface" -j ACCEPT
    iptables -t nat -A POSTROUTING -o "$iface" -s "$cidr" -j MASQUERADE
done
iptables-save > /etc/sysconfig/iptables
systemctl enable --now iptables
log "forwarding ${PRIVATE_CIDRS[*]} through $iface"
