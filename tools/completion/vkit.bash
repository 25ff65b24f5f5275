# bash completion for vkit's tools (vinstall, vclone, vctl, vtop, vdf, vrun).
#
# Nothing here lists an option, a subcommand or an OS variant: each comes
# from the tool being completed (its --help, `vctl help`, `vinstall
# --disk=?`, `vinstall --osinfo list`, `vctl list --all --name`), so the
# completion cannot drift from the tools.  Installed once per tool name
# because bash-completion loads completions by the command's name.

# _vkit_options TOOL: the options TOOL's --help lists, one a line, with a
# trailing '=' where the option needs a value (popt's "--name=NAME",
# "-x, --extra-args ARGS"; an optional "[=X]" value needs no value).
_vkit_options()
{
	"$1" --help 2>/dev/null | awk '
		/^ +-/ {
			sub(/^ +/, "")
			column = $0
			sub(/   .*$/, "", column)	# the description starts after 2+ spaces
			if (column ~ /  /)
				sub(/  .*$/, "", column)
			takes = column !~ /\[=/ && column ~ /^(-[^ ,]+, )*-[^ ,=[]+(=| [^ ])/
			n = split(column, parts, ", ")
			for (i = 1; i <= n; i++) {
				if (match(parts[i], /^--?[A-Za-z0-9][A-Za-z0-9-]*/))
					print substr(parts[i], 1, RLENGTH) (takes ? "=" : "")
			}
		}' | awk '!seen[$0]++'
}

# _vkit_vctl_commands VCTL: the subcommands `vctl help` lists.
_vkit_vctl_commands()
{
	"$1" help 2>/dev/null | awk '
		/^Commands:/ { in_commands = 1; next }
		in_commands && /^$/ { exit }
		in_commands && /^  [a-z]/ {
			n = split($0, alternatives, / \| /)
			for (i = 1; i <= n; i++) {
				word = alternatives[i]
				sub(/^ +/, "", word)
				if (match(word, /^[a-z][a-z-]*/) && !seen[substr(word, 1, RLENGTH)]++)
					print substr(word, 1, RLENGTH)
			}
		}'
}

# _vkit_words: sets words[] and cword from COMP_WORDS/COMP_CWORD with the
# pieces that bash split at '=' and ':' (COMP_WORDBREAKS) joined again, so
# that "--disk path=/x" reads as two words as the tool sees it.
_vkit_words()
{
	local i w
	words=()
	cword=0
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if ((i > 0 && ${#words[@]} > 0)) &&
			[[ $w == [=:]* || ${COMP_WORDS[i - 1]} == *[=:] ]]; then
			words[${#words[@]} - 1]+=$w
		else
			words+=("$w")
		fi
		((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
}

# _vkit_reply PREFIX CANDIDATE...: COMPREPLY from the candidates that
# start with what is being completed, each after PREFIX; what bash will
# replace is only the part after the last '=' or ':' it split at, so that
# much of the word is taken off again.
_vkit_reply()
{
	local prefix=$1 c
	shift
	COMPREPLY=()
	for c in "$@"; do
		[[ $prefix$c == "$cur"* ]] && COMPREPLY+=("$prefix$c")
	done
	_vkit_trim_split
}

_vkit_trim_split()
{
	local i split=""
	[[ ${COMP_WORDS[COMP_CWORD]} == "$cur" ]] && return
	split=${cur%"${cur##*[=:]}"}
	for ((i = 0; i < ${#COMPREPLY[@]}; i++)); do
		COMPREPLY[i]=${COMPREPLY[i]#"$split"}
	done
}

# _vkit_files PREFIX PARTIAL [dirs]: files (or directories) for a value
# written after PREFIX.
_vkit_files()
{
	local prefix=$1 partial=$2 f
	local -a found=()
	if [[ $3 == dirs ]]; then
		mapfile -t found < <(compgen -d -- "$partial")
	else
		mapfile -t found < <(compgen -f -- "$partial")
	fi
	COMPREPLY=()
	for f in "${found[@]}"; do
		[[ -d $f ]] && f+=/
		COMPREPLY+=("$prefix$f")
	done
	compopt -o nospace 2>/dev/null
	_vkit_trim_split
}

# _vkit_names TOOL WHAT: VM names (domains) or network names (networks).
_vkit_names()
{
	local vctl=vctl
	# the vctl beside the tool being completed (a build tree, a test)
	[[ $1 == */* && -x ${1%/*}/vctl ]] && vctl=${1%/*}/vctl
	case $2 in
	domains) "$vctl" list --all --name 2>/dev/null ;;
	networks) "$vctl" net-list --all --name 2>/dev/null ;;
	esac
}

# _vkit_suboptions TOOL OPTION VALUE: a sub-option list such as
# "size=4,path=/x": keys from `TOOL OPTION=?`, file names after path=.
_vkit_suboptions()
{
	local tool=$1 option=$2 value=$3 head="" last key
	local -a keys
	if [[ $value == *,* ]]; then
		head=${value%,*},
	fi
	last=${value##*,}
	# everything before the value being completed: the option (when written
	# as --disk=...) and the sub-options before it
	local before=${cur%"$value"}$head
	if [[ $last == *=* ]]; then
		key=${last%%=*}
		case $key in
		path | backing_store | kernel | initrd | user-data | meta-data | network-config | \
			root-password-file | ssh-key)
			_vkit_files "$before$key=" "${last#*=}" ;;
		network) _vkit_reply "$before$key=" $(_vkit_names "$tool" networks) ;;
		*) COMPREPLY=() ;;
		esac
		return
	fi
	# --location's first value is the media itself, sub-options follow it
	if [[ $option == --location || $option == -l ]] && [[ -z $head ]]; then
		_vkit_files "$before" "$last"
		return
	fi
	# only vinstall answers OPTION=? with its keys (vrun would start a VM)
	[[ ${tool##*/} == vinstall ]] || { COMPREPLY=(); return; }
	mapfile -t keys < <("$tool" "$option=?" 2>/dev/null | sed -n 's/^  \([A-Za-z0-9_.-]*\)$/\1=/p')
	_vkit_reply "$before" "${keys[@]}"
	compopt -o nospace 2>/dev/null
}

# _vkit_value TOOL OPTION VALUE: complete VALUE given to OPTION.
_vkit_value()
{
	local tool=$1 option=$2 value=$3
	case $option in
	--disk | --network | -w | --install | --boot | --location | -l | --cloud-init)
		_vkit_suboptions "$tool" "$option" "$value" ;;
	--os-variant | --osinfo)
		_vkit_reply "${cur%"$value"}" list $("$tool" --osinfo list 2>/dev/null | awk '{ print $1 }') ;;
	-d | --domain | -o | --original)
		if [[ ${tool##*/} == vtop && $option == -d ]]; then
			COMPREPLY=()
		elif [[ ${tool##*/} == vtop && $option == -o ]]; then
			_vkit_reply "${cur%"$value"}" cpu mem time id name netrx nettx blockrdrq blockwrrq
		else
			_vkit_reply "${cur%"$value"}" $(_vkit_names "$tool" domains)
		fi ;;
	--cdrom | -c | --kernel | --initrd | --bios | --firmware | --file | -f | -a | --add | \
		--original-config | --initrd-inject | --csv | --csv-detail | --nvram)
		# vinstall's -c is --cdrom; elsewhere -c is --connect
		if [[ $option == -c && ${tool##*/} != vinstall ]]; then
			_vkit_reply "${cur%"$value"}" qemu:///system qemu:///session
		else
			_vkit_files "${cur%"$value"}" "$value"
		fi ;;
	--connect)
		_vkit_reply "${cur%"$value"}" qemu:///system qemu:///session ;;
	*) COMPREPLY=() ;;
	esac
}

_vkit()
{
	local cur prev tool option i command=""
	local -a words options vctl_commands
	local cword
	_vkit_words
	cur=${words[cword]}
	prev=${words[cword - 1]}
	tool=${words[0]}
	mapfile -t options < <(_vkit_options "$tool")

	# --option=value in one word
	if [[ $cur == -*=* ]]; then
		_vkit_value "$tool" "${cur%%=*}" "${cur#*=}"
		return
	fi
	if [[ $cur == -* ]]; then
		_vkit_reply "" "${options[@]%=}"
		return
	fi
	# the value of the option before, when that option needs one
	for option in "${options[@]}"; do
		if [[ $option == "$prev=" && $cword -gt 1 ]]; then
			_vkit_value "$tool" "$prev" "$cur"
			return
		fi
	done
	[[ ${tool##*/} == vctl ]] || { COMPREPLY=(); return; }

	# vctl: the first word that is not an option (or an option's value) is
	# the command; the one after it names a VM or a network.
	local -a args=()
	for ((i = 1; i < cword; i++)); do
		[[ ${words[i]} == -* ]] && continue
		[[ " ${options[*]} " == *" ${words[i - 1]}= "* && ${words[i - 1]} != *=* ]] && continue
		args+=("${words[i]}")
	done
	if ((${#args[@]} == 0)); then
		mapfile -t vctl_commands < <(_vkit_vctl_commands "$tool")
		_vkit_reply "" "${vctl_commands[@]}"
		return
	fi
	command=${args[0]}
	if ((${#args[@]} == 1)); then
		case $command in
		help) mapfile -t vctl_commands < <(_vkit_vctl_commands "$tool")
			_vkit_reply "" "${vctl_commands[@]}" ;;
		net-define) _vkit_files "" "$cur" ;;
		net-list | list | iface-*) COMPREPLY=() ;;
		net-*) _vkit_reply "" $(_vkit_names "$tool" networks) ;;
		*) _vkit_reply "" $(_vkit_names "$tool" domains) ;;
		esac
		return
	fi
	case $command in
	attach-disk) ((${#args[@]} == 2)) && _vkit_files "" "$cur" ;;
	attach-interface | detach-interface)
		((${#args[@]} == 2)) && _vkit_reply "" network bridge
		if ((${#args[@]} == 3)) && [[ ${args[2]} == network ]]; then
			_vkit_reply "" $(_vkit_names "$tool" networks)
		fi ;;
	*) COMPREPLY=() ;;
	esac
}

complete -F _vkit vinstall vclone vctl vtop vdf vrun
