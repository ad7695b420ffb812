#!/bin/sh
# irc-server.sh - entrypoint of the `irc` scenario's server.
#
# Writes ngIRCd's configuration from the drawn values and runs ngIRCd in
# the foreground (ngircd -n), logging to stdout:
#   IRC_SERVER_NAME  the server's name (irc.NETWORK.net)
#   IRC_NETWORK      the network name announced in RPL_ISUPPORT (005)
#   IRC_MOTD         the message of the day, one phrase
#   IRC_MAX_NICK     the longest nickname accepted
# Plain IRC on port 6667; no ident or DNS lookups (the scenario network
# has neither), no PAM, no server password. ngIRCd drops root for the
# `irc` account. The service counts as ready (its `ready` check) once port
# 6667 listens.
set -eu

: "${IRC_SERVER_NAME:?IRC_SERVER_NAME must name the server}"
NETWORK=${IRC_NETWORK:-detgen}
MOTD=${IRC_MOTD:-Welcome}
MAX_NICK=${IRC_MAX_NICK:-9}

cat >/etc/ngircd/ngircd.conf <<EOC
[Global]
	Name = $IRC_SERVER_NAME
	Info = $NETWORK IRC server
	Network = $NETWORK
	AdminInfo1 = $NETWORK operators
	AdminInfo2 = Somewhere on the Internet
	AdminEMail = admin@$IRC_SERVER_NAME
	MotdPhrase = $MOTD
	Listen = 0.0.0.0
	Ports = 6667
	PidFile = /tmp/ngircd.pid
	ServerUID = irc
	ServerGID = irc

[Limits]
	MaxConnections = 100
	MaxConnectionsIP = 10
	MaxJoins = 10
	MaxNickLength = $MAX_NICK
	PingTimeout = 120
	PongTimeout = 20

[Options]
	DNS = no
	Ident = no
	PAM = no
	ConnectIPv6 = no
	OperCanUseMode = yes
EOC
ngircd -t -f /etc/ngircd/ngircd.conf >/dev/null
echo "irc-server: $IRC_SERVER_NAME ($NETWORK) on port 6667"
exec ngircd -n -f /etc/ngircd/ngircd.conf
