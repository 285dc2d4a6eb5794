# Kept across sysupgrade: the config, certificates placed beside it, and the state_dir
# (/etc/ledge/state: the job journal, history and reply outbox). A state_dir or cacrt
# elsewhere needs its own line here.
/etc/ledge/
/etc/config/ledge
