
# Names from the record database ($SWISCSI_DB, as swiscsiadm reads it): one per line.
_swiscsiadm_db_names() {
  local dir=${SWISCSI_DB:-/var/lib/iscsi}/$1 f
  [ -d "$dir" ] || return 0
  for f in "$dir"/*; do
    [ -e "$f" ] && printf '%s\n' "${f##*/}"
  done
}

# The portals of discovery records (send_targets/ADDR,PORT) as ADDR:PORT.
_swiscsiadm_portals() {
  local p
  for p in $(_swiscsiadm_db_names send_targets); do
    printf '%s\n' "${p%,*}:${p##*,}"
  done
}

_swiscsiadm() {
  local cur prev words cword mode= i cand=
  # Names like cxgb3i.00:00:5e:00:53:31 hold colons, which bash splits words at: with
  # bash-completion loaded (the normal case), take the words joined again.
  if declare -F _get_comp_words_by_ref >/dev/null; then
    _get_comp_words_by_ref -n : cur prev words cword
  else
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    cur=${words[cword]} prev=${words[cword-1]}
  fi
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in -m|--mode) mode=${words[i+1]} ;; esac
  done
  case $prev in
    -m|--mode) cand="iface discovery discoverydb node session host" ;;
    -o|--op)
      case $mode in
        iface) cand="new delete update show apply applyall" ;;
        discovery) cand="new delete update show nonpersistent" ;;
        *) cand="new delete update show" ;;
      esac ;;
    -I|--interface) cand="default iser $(_swiscsiadm_db_names ifaces)" ;;
    -T|--targetname) cand=$(_swiscsiadm_db_names nodes) ;;
    -p|--portal) cand=$(_swiscsiadm_portals) ;;
    -n|--name)
      case $mode in
        iface) cand=$_swiscsiadm_keys_iface ;;
        node) cand=$_swiscsiadm_keys_node ;;
        discovery|discoverydb) cand=$_swiscsiadm_keys_discovery ;;
      esac ;;
    -t|--type) cand="sendtargets st" ;;
    -C|--submode) cand="ping" ;;
    -P|--print) cand="0 1" ;;
    -v|--value|-a|--ipaddr|-b|--packetsize|-c|--count|-i|--interval|-H|--host|-r|--sid) return 0 ;;
    *)
      case $mode in
        iface) cand="-I -o -n -v -P -H -C -a -b -c -i" ;;
        node) cand="-T -p -I -o -n -v -P -S" ;;
        discovery) cand="-t -p -I -o -P -D" ;;
        discoverydb) cand="-t -p -o -n -v -D" ;;
        '') cand="-m -V -h" ;;
        *) cand="-P" ;;
      esac ;;
  esac
  local IFS=$'\n'
  COMPREPLY=($(IFS=$' \t\n'; compgen -W "$cand" -- "$cur"))
  if declare -F __ltrim_colon_completions >/dev/null; then
    __ltrim_colon_completions "$cur"
  fi
}
complete -F _swiscsiadm swiscsiadm
