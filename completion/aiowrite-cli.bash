# bash completion for aiowrite-cli                          -*- shell-script -*-
#
# Installed as $(PREFIX)/share/bash-completion/completions/aiowrite-cli, where
# bash-completion loads it on first use; or source it from ~/.bashrc.  It
# needs nothing from bash-completion itself.
#
# The option lists are written out here, not parsed from --help at every
# TAB; tests/cli/completion.sh fails when they and `aiowrite-cli --help`
# disagree.  Both `--sync data` and `--sync=data` are completed, and so are
# the values of -f/--filter (xor:HEX, xor:@FILE, hex[:width=N][:upper],
# gzip[:LEVEL]), whatever COMP_WORDBREAKS splits them into.

# _aiowrite_cli_isbreak WORD: WORD is one or more word-break characters.
_aiowrite_cli_isbreak()
{
	local w=$1 i
	[[ -n $w ]] || return 1
	for ((i = 0; i < ${#w}; i++)); do
		[[ $COMP_WORDBREAKS == *"${w:i:1}"* ]] || return 1
	done
}

# The words of the command line as the program will see them: bash splits
# `--sync=da` into `--sync` `=` `da`, `gzip:9` into `gzip` `:` `9` and
# `xor:@k` into `xor` `:@` `k` (at the characters of COMP_WORDBREAKS); join
# the pieces again where no blank separates them.
# _aiowrite_cli_words [TYPED] sets _aw_words and _aw_cword, and _aw_typed:
# the end of the current word that readline completes and replaces, TYPED
# if given (bash passes it to the completion function as $2).
_aiowrite_cli_words()
{
	local line=$COMP_LINE w gap i j=-1 joinable=0 joined=0
	_aw_words=() _aw_cword=0
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		gap=${line%%[![:space:]]*}
		line=${line#"$gap"}
		if ((j >= 0)) && [[ -z $gap ]] &&
			{ ((joinable)) || _aiowrite_cli_isbreak "$w"; }; then
			_aw_words[j]+=$w
			joined=1
		else
			_aw_words[++j]=$w
			joined=0
		fi
		joinable=0
		_aiowrite_cli_isbreak "$w" && joinable=1
		line=${line#"$w"}
	done
	_aw_cword=$j
	if (($# > 0)); then
		_aw_typed=$1
	else
		# Readline completes what follows the last break character, but
		# keeps an `@` or `$` before it (bash's rl_special_prefixes).
		# Right after a break character (`--sync=`), the current word
		# is the break characters themselves.
		_aw_typed=${COMP_WORDS[COMP_CWORD]}
		if _aiowrite_cli_isbreak "$_aw_typed"; then
			_aw_typed=${_aw_typed##*[!@\$]}
			_aw_typed=${_aw_typed: -1}
		elif ((joined && COMP_CWORD > 0)) &&
			[[ ${COMP_WORDS[COMP_CWORD - 1]} == *[@\$] ]]; then
			_aw_typed=${COMP_WORDS[COMP_CWORD - 1]: -1}$_aw_typed
		fi
	fi
	return 0
}

# _aiowrite_cli_files -f|-d CUR: file (-f) or directory (-d) names that
# start with CUR.  When CUR is just what readline completes, readline's own
# file name completion does it, which knows about quotes and ~.
_aiowrite_cli_files()
{
	if [[ $_aw_typed == "$2" ]]; then
		if [[ $1 == -d ]]; then
			compopt -o dirnames 2>/dev/null && return
		else
			compopt -o default 2>/dev/null && return
		fi
	fi
	_aiowrite_cli_compgen "$@"
}

# _aiowrite_cli_compgen -f|-d CUR: the names, quoted for the shell, a
# directory's with a slash.
_aiowrite_cli_compgen()
{
	local f q
	while IFS= read -r f; do
		printf -v q %q "$f"
		[[ -d $f ]] && q+=/
		COMPREPLY+=("$q")
	done < <(compgen "$1" -- "$2")
}

# _aiowrite_cli_reply CUR WORD...: the WORDs that start with CUR.
_aiowrite_cli_reply()
{
	local cur=$1 w
	shift
	for w; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
	done
}

# _aiowrite_cli_in WORD LIST...: WORD is one of LIST.
_aiowrite_cli_in()
{
	local word=$1 w
	shift
	for w; do
		[[ $w == "$word" ]] && return 0
	done
	return 1
}

# Candidates for a filter spec: xor:HEX, xor:@FILE, hex[:width=N][:upper],
# gzip[:LEVEL], zstd[:LEVEL], xz[:LEVEL], ihex[:width=N][:base=ADDR],
# srec[:width=N][:base=ADDR].
_aiowrite_cli_filters()
{
	local cur=$1
	case $cur in
	xor:@*)
		# Readline completes `@FILE` here, not a file name.
		_aiowrite_cli_compgen -f "${cur#xor:@}"
		((${#COMPREPLY[@]})) && COMPREPLY=("${COMPREPLY[@]/#/xor:@}")
		;;
	hex:width=*:*) _aiowrite_cli_reply "$cur" "${cur%:*}:upper" ;;
	hex:width=*[0-9]) _aiowrite_cli_reply "$cur" "$cur" "$cur:upper" ;;
	hex:upper*) _aiowrite_cli_reply "$cur" hex:upper hex:upper:width= ;;
	*)
		_aiowrite_cli_reply "$cur" xor: xor:@ hex hex:width= hex:upper \
			gzip gzip:{1..9} zstd zstd: xz xz: ihex ihex:width= ihex:base= \
			srec srec:width= srec:base=
		;;
	esac
}

# Candidates for the value of OPT (a long or short option that takes one).
_aiowrite_cli_value()
{
	local opt=$1 cur=$2
	case $opt in
	-m | --mode) _aiowrite_cli_reply "$cur" auto aio stream ;;
	--sync) _aiowrite_cli_reply "$cur" none data full ;;
	--report) _aiowrite_cli_reply "$cur" text json none ;;
	-f | --filter) _aiowrite_cli_filters "$cur" ;;
	--confine) _aiowrite_cli_files -d "$cur" ;;
	-o | --output | --report-file) _aiowrite_cli_files -f "$cur" ;;
	*) ;;	# -D NAME=VALUE, -e LINE, -j N, -b SIZE, -T N: nothing to offer
	esac
}

_aiowrite_cli()
{
	# The options of `aiowrite-cli --help`, those that take a value apart.
	local -a takes_value=(--define --line --output --mode --queue-depth --request-size
		--sync --filter --threads --report --report-file --confine -D -e -o -m -j -b -f
		-T)
	local -a long=(--version --force --patch --direct --no-clone --no-progress --progress --quiet
		--verbose --allow-overlap --atomic --dry-run --verify --help --usage)
	local -a short=(-q -v -n '-?')
	local _aw_words _aw_cword _aw_typed cur prev=' ' i before
	COMPREPLY=()
	if (($# >= 2)); then
		_aiowrite_cli_words "$2"
	else
		_aiowrite_cli_words
	fi
	cur=${_aw_words[_aw_cword]}
	((_aw_cword > 0)) && prev=${_aw_words[_aw_cword - 1]}

	for ((i = 1; i < _aw_cword; i++)); do
		[[ ${_aw_words[i]} == -- ]] && break
	done
	if ((i < _aw_cword)); then
		_aiowrite_cli_files -f "$cur"	# after --, only operands
	elif [[ $cur == --*=* ]]; then
		_aiowrite_cli_value "${cur%%=*}" "${cur#*=}"
		((${#COMPREPLY[@]})) && COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
	elif _aiowrite_cli_in "$prev" "${takes_value[@]}"; then
		_aiowrite_cli_value "$prev" "$cur"
	elif [[ $cur == -* ]]; then
		_aiowrite_cli_reply "$cur" "${takes_value[@]}" "${long[@]}" "${short[@]}"
	else
		_aiowrite_cli_files -f "$cur"	# MANIFEST
	fi

	# Readline replaces only what follows the last word-break character:
	# drop what comes before it from every candidate.
	before=${cur%"$_aw_typed"}
	if [[ -n $before ]] && ((${#COMPREPLY[@]})); then
		COMPREPLY=("${COMPREPLY[@]#"$before"}")
	fi
	# A candidate to be continued (xor:, hex:width=, xor:@DIR/) takes no
	# space.
	if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *[:=/] ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _aiowrite_cli aiowrite-cli
