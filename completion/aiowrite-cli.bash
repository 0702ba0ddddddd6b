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

# The words of the command line as the shell will see them: bash splits
# `--sync=da` into `--sync` `=` `da` and `gzip:9` into `gzip` `:` `9` (the
# characters of COMP_WORDBREAKS); join pieces that no blank separates again.
# Sets _aw_words, _aw_cword, and _aw_typed: the part of the current word
# that readline will replace (after the last word-break character).
_aiowrite_cli_words()
{
	local line=$COMP_LINE w i j=-1 gap
	_aw_words=() _aw_cword=0
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		gap=${line%%[![:space:]]*}
		line=${line#"$gap"}
		if ((j < 0)) || [[ -n $gap ]]; then
			_aw_words[++j]=$w
		else
			_aw_words[j]+=$w
		fi
		line=${line#"$w"}
		((i == COMP_CWORD)) && _aw_cword=$j
		((i == COMP_CWORD)) && break
	done
	_aw_typed=${COMP_WORDS[COMP_CWORD]}
	# Right after a break character (`--sync=`), the word is the break
	# characters themselves, and readline completes the empty string.
	[[ -n $_aw_typed && -z ${_aw_typed//[$COMP_WORDBREAKS]/} ]] && _aw_typed=
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

# Candidates for a filter spec.
_aiowrite_cli_filters()
{
	local cur=$1 i
	case $cur in
	xor:@*)
		local f
		while IFS= read -r f; do
			COMPREPLY+=("xor:@$f")
		done < <(compgen -f -- "${cur#xor:@}")
		compopt -o filenames 2>/dev/null
		;;
	hex:*:*) ;;	# both options given, or a value being typed
	hex:width=*[0-9]) _aiowrite_cli_reply "$cur" "$cur:upper" ;;
	hex:width=*) ;;
	hex:upper*) _aiowrite_cli_reply "$cur" hex:upper hex:upper:width= ;;
	*)
		_aiowrite_cli_reply "$cur" xor: xor:@ hex hex:width= hex:upper \
			gzip gzip:{1..9}
		;;
	esac
}

# Candidates for the value of OPT (a long or short option that takes one).
_aiowrite_cli_value()
{
	local opt=$1 cur=$2 f
	case $opt in
	-m | --mode) _aiowrite_cli_reply "$cur" auto aio stream ;;
	--sync) _aiowrite_cli_reply "$cur" none data full ;;
	--report) _aiowrite_cli_reply "$cur" text json none ;;
	-f | --filter) _aiowrite_cli_filters "$cur" ;;
	--confine)
		while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -d -- "$cur")
		compopt -o filenames 2>/dev/null
		;;
	-o | --output | --report-file)
		while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		;;
	*) ;;	# -e LINE, -j N, -b SIZE: nothing to offer
	esac
}

_aiowrite_cli()
{
	# The options of `aiowrite-cli --help`, those that take a value first.
	local long_arg='--line --output --mode --queue-depth --request-size --sync
		--filter --report --report-file --confine'
	local long='--version --force --patch --no-progress --progress --quiet
		--verbose --allow-overlap --atomic --dry-run --verify --help --usage'
	local short_arg='-e -o -m -j -b -f'
	local short='-q -v -n -?'

	local _aw_words _aw_cword _aw_typed cur prev i f
	COMPREPLY=()
	_aiowrite_cli_words
	cur=${_aw_words[_aw_cword]}
	prev=
	((_aw_cword > 0)) && prev=${_aw_words[_aw_cword - 1]}

	# After a bare --, only operands.
	for ((i = 1; i < _aw_cword; i++)); do
		[[ ${_aw_words[i]} == -- ]] && break
	done
	if ((i < _aw_cword)); then
		:
	elif [[ $cur == --*=* ]]; then
		local opt=${cur%%=*}
		_aiowrite_cli_value "$opt" "${cur#*=}"
		COMPREPLY=("${COMPREPLY[@]/#/$opt=}")
	elif [[ " ${long_arg//[[:space:]]/ } $short_arg " == *" $prev "* && $prev == -* ]]; then
		_aiowrite_cli_value "$prev" "$cur"
	elif [[ $cur == -* ]]; then
		_aiowrite_cli_reply "$cur" $long_arg $long
		[[ $cur != --* ]] && _aiowrite_cli_reply "$cur" $short_arg $short
	fi
	if ((${#COMPREPLY[@]} == 0)) && [[ $cur != -?* ]] && ! [[ " ${long_arg//[[:space:]]/ } $short_arg " == *" $prev "* && $prev == -* && i == _aw_cword ]]; then
		# MANIFEST (or - for standard input)
		while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
	fi

	# What readline replaces is only the part after the last word-break
	# character: drop what comes before it from every candidate.
	local done=${cur%"$_aw_typed"}
	if [[ -n $done ]]; then
		COMPREPLY=("${COMPREPLY[@]#"$done"}")
	fi
	# A candidate still to be continued (xor:, hex:width=, --sync=) takes
	# no space after it.
	if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *[:=@] ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _aiowrite_cli aiowrite-cli
