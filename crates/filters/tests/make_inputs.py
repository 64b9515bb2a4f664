#!/usr/bin/env python3
"""Writes tests/inputs/*.txt: the case list of the filter corpus.

Each case is (name, JSON context, template). Running this script rewrites
every input file (it deletes inputs that are no longer listed), so add new
cases here, then run regenerate.sh to produce their goldens from ansible-core.
The random section is seeded, so reruns produce identical inputs.

Remember that ansible-core keeps backslashes in `{{ }}` string literals
verbatim: put real newlines/control characters into the JSON context.
"""
import json
import pathlib
C = []
def case(name, tmpl, ctx=None):
    C.append((name, ctx or {}, tmpl))
D = {"users": [{"name": "bob", "age": 30, "groups": ["a", "b"]}, {"name": "Alice", "age": 25, "groups": ["b"]}, {"name": "carol", "age": 35, "groups": []}],
     "cfg": {"b": 1, "a": {"z": [1, 2], "y": "text"}, "c": None, "d": True}}
# --- type conversion
case("bool_strings", "{{ ['yes','No','on','OFF','true','False','1','0','maybe',''] | map('bool') | list }}")
case("bool_values", "{{ [1, 0, true, false, none, 2, 1.0] | map('bool') | list }}")
case("int_basic", "{{ '42' | int }} {{ ' 7 ' | int }} {{ 3.9 | int }} {{ -3.9 | int }} {{ true | int }}")
case("int_fallback", "{{ 'abc' | int }} {{ 'abc' | int(5) }} {{ '3.7' | int }} {{ none | int }} {{ '' | int(default=9) }}")
case("int_base", "{{ '0x1F' | int(base=16) }} {{ '755' | int(base=8) }} {{ '1010' | int(base=2) }} {{ 'ff' | int(0, 16) }}")
case("int_underscore", "{{ '1_000' | int }} {{ '1e3' | int }}")
case("float_basic", "{{ '1.5' | float }} {{ 2 | float }} {{ 'x' | float }} {{ 'x' | float(1.25) }} {{ '1e3' | float }} {{ ' 2.5 ' | float }}")
case("float_repr", "{{ [0.1, 1.0, 1e16, 1.5e-5, 123456.789, 100.0, 1e22, -0.0] }}")
case("string_filter", "{{ [1, 'a', none, true, 2.5] | string }}|{{ {'k': 'v', 'n': 1} | string }}|{{ 3 | string }}|{{ none | string }}")
case("list_filter", "{{ 'abc' | list }} {{ {'x': 1, 'y': 2} | list }} {{ [3, 1] | list }}")
case("type_debug", "{{ 'a' | type_debug }} {{ 1 | type_debug }} {{ 1.5 | type_debug }} {{ [] | type_debug }} {{ {} | type_debug }} {{ true | type_debug }} {{ none | type_debug }}")
case("type_debug_vars", "{{ s | type_debug }} {{ l | type_debug }} {{ m | type_debug }} {{ i | type_debug }}", {"s": "x", "l": [1], "m": {"a": 1}, "i": 4})
case("ternary_basic", "{{ true | ternary('yes', 'no') }} {{ false | ternary('yes', 'no') }} {{ '' | ternary(1, 2) }} {{ [0] | ternary(1, 2) }}")
case("ternary_none", "{{ none | ternary('t', 'f', 'n') }} {{ none | ternary('t', 'f') }} {{ 0 | ternary('t', 'f', 'n') }}")
case("default_undefined", "{{ missing | default('fallback') }} {{ missing | d(42) }} {{ present | default('x') }}", {"present": "here"})
case("default_boolean", "{{ '' | default('empty', true) }} {{ 0 | default('zero', boolean=true) }} {{ '' | default('kept') }}|{{ none | default('n') }}|{{ none | default('n', true) }}")
case("default_chain", "{{ missing | default(other | default('deep')) }}")
case("default_attr", "{{ cfg.missing | default('nokey') }} {{ cfg.a.y | default('no') }}", D)
case("mandatory_ok", "{{ x | mandatory }}", {"x": "present"})
case("err_mandatory", "{{ missing | mandatory }}")
case("err_mandatory_msg", "{{ missing | mandatory('please set missing') }}")
case("err_undefined_var", "{{ missing }}")
case("err_undefined_filter_input", "{{ missing | upper }}")
# --- strings
case("trim", "{% set ws = '\\n\\tz \\n' %}[{{ '  a b  ' | trim }}] [{{ 'xxhixx' | trim('x') }}] [{{ ws | trim }}]")
case("upper_lower", "{{ 'Hello Wörld' | upper }} {{ 'ÀBC' | lower }} {{ 'ß' | upper }}")
case("capitalize_title", "{{ 'hello WORLD' | capitalize }} | {{ 'hello wORLD-foo bar_baz' | title }} | {{ \"it's ok\" | title }}")
case("replace", "{{ 'aaa' | replace('a', 'b') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'a.b.c' | replace('.', '') }}")
case("center", "[{{ 'ab' | center(7) }}] [{{ 'abc' | center(6) }}] [{{ 'x' | center }}] [{{ 'toolong' | center(3) }}]")
case("wordcount", "{{ 'hello big  world, foo_bar 42!' | wordcount }} {{ '' | wordcount }}")
case("truncate", "{{ 'The quick brown fox jumps over the lazy dog' | truncate(20) }}|{{ 'The quick brown fox jumps' | truncate(12, true) }}|{{ 'short' | truncate(10) }}|{{ 'abcdefghijklmnop' | truncate(10, false, '!') }}|{{ 'The quick brown fox' | truncate(16, end='~', leeway=0) }}")
case("indent", "{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(4, true) }}|{{ 'x\\n\\ny' | indent(2, blank=true) }}|{{ 'a\\nb' | indent(first=true) }}")
case("format", "{{ '%s is %d years, %.2f%%' | format('bob', 30, 12.345) }}|{{ '%5s|%-5s|%05d' | format('a', 'b', 42) }}|{{ '%s' | format([1, 'x']) }}|{{ '%r' | format('q') }}")
case("split_default", "{{ '  a  b c ' | split }} {{ 'a,b,,c' | split(',') }} {{ 'a b c' | split(' ', 1) }}")
case("split_unicode", "{{ 'ä:ö:ü' | split(':') }}")
case("join", "{{ ['a', 'b'] | join(', ') }} {{ [1, 2, 3] | join }} {{ [true, none, 1.5] | join('-') }} {{ users | join(',', attribute='name') }}", D)
case("length", "{{ 'héllo' | length }} {{ [1, 2] | length }} {{ {'a': 1} | length }} {{ '' | count }} {{ [] | length }}")
case("reverse", "{{ 'abc' | reverse }} {{ [1, 2, 3] | reverse | list }}")
case("wordwrap_like_unicode", "{{ 'ünïcödé ✓ 日本' | upper }} {{ '日本語' | length }}")
case("regex_replace_basic", "{{ 'hello world' | regex_replace('o', '0') }} {{ 'a1b22c333' | regex_replace('[0-9]+', '#') }}")
case("regex_replace_groups", "{{ 'John Smith' | regex_replace('^(\\\\w+) (\\\\w+)$', '\\\\2, \\\\1') }} {{ 'key=value' | regex_replace('(?P<k>\\\\w+)=(?P<v>\\\\w+)', '\\\\g<v>:\\\\g<k>') }}")
case("regex_replace_flags", "{{ 'Hello HELLO hello' | regex_replace('hello', 'x', ignorecase=true) }}|{{ 'a\\nb' | regex_replace('^', '> ', multiline=true) }}|{{ 'aaaa' | regex_replace('a', 'b', count=2) }}")
case("regex_replace_empty", "{{ 'abc' | regex_replace('x*', '-') }}|{{ '' | regex_replace('^$', 'empty') }}")
case("regex_replace_nonstring", "{{ 12345 | regex_replace('3', 'x') }}")
case("err_regex_mandatory_count", "{{ 'aaa' | regex_replace('a', 'b', mandatory_count=2) }}")
case("err_regex_invalid", "{{ 'aaa' | regex_replace('(', 'b') }}")
case("regex_search_basic", "{{ 'server1.example.com' | regex_search('server[0-9]+') }}|{{ 'abc' | regex_search('x') }}|{{ 'abc' | regex_search('B', ignorecase=true) }}")
case("regex_search_groups", "{{ 'v1.22.3' | regex_search('v(\\\\d+)\\\\.(\\\\d+)', '\\\\1', '\\\\2') }} {{ 'name=foo' | regex_search('(?P<key>\\\\w+)=(?P<val>\\\\w+)', '\\\\g<val>') }}")
case("regex_findall", "{{ 'a1b22c333' | regex_findall('[0-9]+') }} {{ 'k1=v1 k2=v2' | regex_findall('(\\\\w+)=(\\\\w+)') }} {{ 'x1 y2' | regex_findall('([a-z])\\\\d') }} {{ 'none' | regex_findall('\\\\d') }}")
case("regex_findall_multiline", "{{ 'a=1\\nb=2\\n' | regex_findall('^(\\\\w)=', multiline=true) }}")
case("regex_lookahead", "{{ 'price: 100 USD, 200 EUR' | regex_findall('\\\\d+(?= EUR)') }}")
case("regex_escape", "{{ 'a.b*c[d]' | regex_escape }} {{ '^path/to (x)$' | regex_escape }} {{ 'a.b' | regex_escape('posix_basic') }}")
case("quote", "{{ 'simple' | quote }} {{ 'has space' | quote }} {{ \"it's\" | quote }} {{ '' | quote }} {{ '$HOME;rm' | quote }} {{ none | quote }}")
case("basename_dirname", "{{ '/etc/nginx/nginx.conf' | basename }} {{ '/etc/nginx/nginx.conf' | dirname }} {{ 'file.txt' | dirname }}|{{ '/etc/' | basename }}|{{ '/etc/' | dirname }}|{{ '/' | dirname }}|{{ '//a//b' | dirname }}")
case("splitext", "{{ 'archive.tar.gz' | splitext }} {{ '/a/.bashrc' | splitext }} {{ 'noext' | splitext }} {{ '/a.b/c' | splitext }}")
case("comment_plain", "{{ 'managed by stackbook' | comment }}")
# --- collections
case("first_last", "{{ [1, 2, 3] | first }} {{ [1, 2, 3] | last }} {{ 'abc' | first }} {{ 'abc' | last }}")
case("first_empty", "{{ [] | first | default('none') }}")
case("unique", "{{ [1, 2, 1, 3, 2] | unique }} {{ ['a', 'A', 'b', 'a'] | unique }} {{ ['a', 'A', 'b'] | unique(case_sensitive=true) }}")
case("unique_attribute", "{{ users | unique(attribute='groups') | map(attribute='name') | list }}", D)
case("unique_mixed", "{{ [1, 1.0, '1', true, none, none] | unique }}")
case("flatten", "{{ [1, [2, [3, [4]]], 5] | flatten }} {{ [1, [2, [3, [4]]]] | flatten(1) }} {{ [1, [2, [3, [4]]]] | flatten(levels=2) }}")
case("flatten_nulls", "{{ [1, none, 'None', 'null', [none, 2]] | flatten }} {{ [1, none, [none]] | flatten(skip_nulls=false) }}")
case("sort_basic", "{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }} {{ [3, 1, 2] | sort(reverse=true) }}")
case("sort_attribute", "{{ users | sort(attribute='age') | map(attribute='name') | list }} {{ users | sort(attribute='name') | map(attribute='name') | list }} {{ users | sort(attribute='age', reverse=true) | map(attribute='age') | list }}", D)
case("sort_mixed_numbers", "{{ [2, 1.5, 3, 0.5] | sort }}")
case("min_max", "{{ [3, 1, 2] | min }} {{ [3, 1, 2] | max }} {{ ['b', 'A', 'c'] | min }} {{ users | max(attribute='age') }}", D)
case("min_max_empty", "[{{ [] | min }}] [{{ [] | max }}]")
case("sum", "{{ [1, 2, 3] | sum }} {{ [1.5, 2] | sum }} {{ users | sum(attribute='age') }} {{ [1, 2] | sum(start=10) }} {{ [] | sum }}", D)
case("sum_lists", "{{ [[1], [2, 3]] | sum(start=[]) }}")
case("map_attribute", "{{ users | map(attribute='name') | list }} {{ users | map(attribute='missing', default='?') | list }}", D)
case("map_filter", "{{ ['a', 'b'] | map('upper') | list }} {{ ['1', '2'] | map('int') | sum }} {{ ['x'] | map('regex_replace', 'x', 'y') | list }}")
case("select_reject", "{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('odd') | list }} {{ [0, 1, '', 'a', none] | select | list }} {{ [1, 5, 10] | select('gt', 3) | list }}")
case("selectattr", "{{ users | selectattr('age', 'gt', 28) | map(attribute='name') | list }} {{ users | rejectattr('groups') | map(attribute='name') | list }} {{ users | selectattr('name', 'equalto', 'bob') | list | length }}", D)
case("selectattr_match", "{{ users | selectattr('name', 'match', '^[a-z]') | map(attribute='name') | list }} {{ users | selectattr('name', 'search', 'o') | map(attribute='name') | join(',') }}", D)
case("selectattr_defined", "{{ items | selectattr('x', 'defined') | list }}", {"items": [{"x": 1}, {"y": 2}]})
case("dict2items", "{{ {'a': 1, 'b': [2]} | dict2items }} {{ {'a': 1} | dict2items(key_name='k', value_name='v') }} {{ {} | dict2items }}")
case("dict2items_order", "{{ cfg | dict2items | map(attribute='key') | list }}", D)
case("err_dict2items_list", "{{ [1, 2] | dict2items }}")
case("items2dict", "{{ [{'key': 'a', 'value': 1}, {'key': 'b', 'value': 2}] | items2dict }} {{ [{'k': 'x', 'v': 'y'}] | items2dict(key_name='k', value_name='v') }}")
case("err_items2dict_missing_key", "{{ [{'name': 'a', 'value': 1}] | items2dict }}")
case("combine_basic", "{{ {'a': 1, 'b': 2} | combine({'b': 3, 'c': 4}) }}")
case("combine_multi", "{{ {'a': 1} | combine({'b': 2}, {'a': 3}) }} {{ {'a': 1} | combine([{'b': 2}, {'c': 3}]) }}")
case("combine_recursive", "{{ {'a': {'x': 1, 'y': 2}, 'l': [1]} | combine({'a': {'y': 3, 'z': 4}, 'l': [2]}, recursive=true) }}")
case("combine_nonrecursive", "{{ {'a': {'x': 1, 'y': 2}} | combine({'a': {'y': 3}}) }}")
case("combine_list_merge", "{{ {'l': [1, 2]} | combine({'l': [2, 3]}, list_merge='append') }} {{ {'l': [1, 2]} | combine({'l': [2, 3]}, list_merge='prepend') }} {{ {'l': [1, 2]} | combine({'l': [2, 3]}, list_merge='append_rp') }} {{ {'l': [1, 2]} | combine({'l': [2, 3]}, list_merge='prepend_rp') }} {{ {'l': [1, 2]} | combine({'l': [2, 3]}, list_merge='keep') }}")
case("combine_nested_list_merge", "{{ {'a': {'l': [1]}} | combine({'a': {'l': [2]}}, recursive=true, list_merge='append') }}")
case("err_combine_badkw", "{{ {'a': 1} | combine({'b': 2}, deep=true) }}")
case("err_combine_nondict", "{{ {'a': 1} | combine(5) }}")
case("zip", "{{ [1, 2, 3] | zip(['a', 'b']) | list }} {{ [1, 2] | zip(['a', 'b'], [true, false]) | list }}")
case("zip_longest", "{{ [1, 2, 3] | zip_longest(['a']) | list }} {{ [1] | zip_longest([2, 3], fillvalue='-') | list }}")
case("product", "{{ [1, 2] | product(['a', 'b']) | list }} {{ ['x'] | product(repeat=2) | list }}")
case("dict_zip", "{{ dict(['a', 'b'] | zip([1, 2])) }} {{ dict(x=1, y='z') }}")
case("set_ops_ints", "{{ [1, 2, 3] | union([3, 4]) }} {{ [1, 2, 3] | intersect([2, 3, 4]) }} {{ [1, 2, 3] | difference([2]) }} {{ [1, 2, 3] | symmetric_difference([3, 4]) }}")
case("set_ops_strings_sorted", "{{ ['a', 'b'] | union(['b', 'c']) | sort }} {{ ['a', 'b'] | intersect(['b', 'c']) | sort }} {{ ['a', 'b'] | difference(['b']) | sort }} {{ ['a', 'b'] | symmetric_difference(['b', 'c']) | sort }}")
case("set_ops_dicts", "{{ [{'a': 1}, {'b': 2}] | union([{'a': 1}]) }} {{ [{'a': 1}, {'b': 2}] | difference([{'a': 1}]) }}")
case("batch_slice", "{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ [1, 2, 3, 4, 5] | batch(2, 'x') | list }} {{ [1, 2, 3, 4, 5] | slice(2) | list }}")
case("groupby", "{% for g in users | groupby('age') %}{{ g.grouper }}:{{ g.list | map(attribute='name') | join(',') }};{% endfor %}", D)
case("groupby_tuple", "{% for key, items in users | groupby('groups.0') %}{{ key }}={{ items | length }} {% endfor %}", {"users": [{"groups": ["a"]}, {"groups": ["b"]}, {"groups": ["a"]}]})
case("dictsort_items", "{{ {'b': 1, 'a': 2} | dictsort }} {% for k, v in {'b': 1, 'a': 2} | items %}{{ k }}={{ v }} {% endfor %}")
case("abs_round", "{{ -3 | abs }} {{ -2.5 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }} {{ 42 | round }}")
case("attr_filter", "{{ cfg | attr('b') }}", D)
case("extract", "{{ ['a', 'b'] | map('extract', {'a': 1, 'b': 2}) | list }} {{ ['h1'] | map('extract', hv, 'ip') | list }}", {"hv": {"h1": {"ip": "10.0.0.1"}}})
case("random_free_range", "{{ range(3) | list }} {{ range(1, 10, 3) | list }}")
case("loop_filters", "{% for u in users | sort(attribute='name') %}{{ loop.index }}:{{ u.name }}{% if not loop.last %},{% endif %}{% endfor %}", D)
# --- data formats
case("to_json_basic", "{{ {'b': 1, 'a': [1, 2.5, none, true], 'c': 'x'} | to_json }}")
case("to_json_unicode", "{{ {'k': 'héllo ✓ 😀', 'q': 'a\"b\\\\c\\n'} | to_json }}")
case("to_json_scalars", "{{ 'str' | to_json }} {{ 1 | to_json }} {{ none | to_json }} {{ [] | to_json }} {{ {} | to_json }} {{ 1.0 | to_json }}")
case("to_json_kwargs", "{{ {'b': 1, 'a': 2} | to_json(sort_keys=true) }} {{ [1, {'a': 2}] | to_json(indent=2) }}")
case("to_nice_json", "{{ cfg | to_nice_json }}", D)
case("to_nice_json_indent", "{{ {'x': [1, 2], 'e': [], 'd': {}} | to_nice_json(indent=2) }}")
case("to_nice_json_unicode", "{{ ['ü', {'ключ': 'значение'}] | to_nice_json }}")
case("from_json", "{{ ('{\"a\": [1, 2.5, null, true], \"b\": \"x\"}' | from_json).a }} {{ '[3, 2]' | from_json | sort }} {{ ('{\"z\": 1, \"a\": 2}' | from_json) | list }}")
case("err_from_json_invalid", "{{ '{bad json' | from_json }}")
case("to_yaml_dict", "{{ cfg | to_yaml }}", D)
case("to_yaml_scalars", "{{ 'plain' | to_yaml }}|{{ 1 | to_yaml }}|{{ none | to_yaml }}|{{ true | to_yaml }}|{{ 1.5 | to_yaml }}")
case("to_yaml_quoting", "{{ ['yes', 'no', 'on', 'true', 'null', '~', '1', '1.0', '0755', '0x1F', '1e5', '', ' lead', 'trail ', 'a: b', '- x', '#c', 'a #b', 'x#y', '@at', '`tick', \"it's\", 'say \"hi\"', '2024-01-01', '1:30', '<<', '='] | to_yaml }}")
case("to_yaml_multiline", "{{ {'script': 'line1\\nline2\\n', 'one': 'a\\n', 'trail': 'x \\ny'} | to_yaml }}")
case("to_yaml_nested", "{{ {'list': [{'a': 1, 'b': [1, 2]}, [3, [4]]], 'empty_l': [], 'empty_d': {}} | to_yaml }}")
case("to_yaml_unicode", "{{ {'name': 'Jürgen', 'emoji': '✓ 😀', 'jp': '日本語', 'nbsp': 'a\\u00a0b', 'ctrl': 'a\\u0001b', 'tab': 'a\\tb'} | to_yaml }}")
case("to_yaml_long", "{{ {'long': 'word ' * 30, 'longnospace': 'x' * 100} | to_yaml }}")
case("to_yaml_long_list", "{{ range(40) | list | to_yaml }}")
case("to_yaml_floats", "{{ [1.0, 0.5, 1e20, 1e-7, 3.14159, -2.0, 100.25] | to_yaml }}")
case("to_yaml_flow_false", "{{ {'a': [1, 2], 'b': {'c': 'd'}} | to_yaml(default_flow_style=false) }}")
case("to_nice_yaml_dict", "{{ cfg | to_nice_yaml }}", D)
case("to_nice_yaml_list_of_dicts", "{{ users | to_nice_yaml }}", D)
case("to_nice_yaml_nested", "{{ {'spec': {'containers': [{'name': 'pg', 'ports': [{'containerPort': 5432}], 'env': []}], 'replicas': 3}} | to_nice_yaml }}")
case("to_nice_yaml_indent2", "{{ {'spec': {'containers': [{'name': 'pg', 'args': ['-c', 'x=1']}]}} | to_nice_yaml(indent=2) }}")
case("to_nice_yaml_multiline", "{{ {'cfg': 'a: 1\\nb: 2\\n', 'msg': 'it''s\\nhere'} | to_nice_yaml }}")
case("to_nice_yaml_scalars", "{{ 'x' | to_nice_yaml }}|{{ [] | to_nice_yaml }}|{{ {} | to_nice_yaml }}|{{ [[]] | to_nice_yaml }}")
case("to_nice_yaml_list_of_lists", "{{ [[1, 2], [3, [4, 5]], []] | to_nice_yaml }}")
case("to_nice_yaml_keys", "{{ {'b': 1, 'a': 2, 'key with space': 3, 'yes': 4, '1': 5, '': 6} | to_nice_yaml }}")
case("to_yaml_sort_keys_false", "{{ {'b': 1, 'a': 2} | to_yaml(sort_keys=false) }}")
case("from_yaml_basic", "{{ 'a: 1\\nb: [x, y]\\nc: {d: e}' | from_yaml }}")
case("from_yaml_yaml11", "{{ 'a: yes\\nb: off\\nc: On\\nd: y\\ne: 0755\\nf: 0x1F\\ng: 1_000\\nh: ~\\ni: 1e5\\nj: 1.5\\nk: .inf\\nl: 1:30\\nm: \"yes\"' | from_yaml }}")
case("from_yaml_block", "{{ ('script: |\\n  echo 1\\n  echo 2\\nfolded: >\\n  a\\n  b\\n' | from_yaml).script }}|{{ ('folded: >\\n  a\\n  b\\n' | from_yaml).folded }}")
case("from_yaml_anchors", "{{ 'base: &b {x: 1, y: 2}\\nderived:\\n  <<: *b\\n  y: 3\\nlist: [*b]' | from_yaml }}")
case("from_yaml_scalar", "{{ '42' | from_yaml }} {{ 'hello' | from_yaml }} {{ '' | from_yaml }}")
case("from_yaml_all", "{{ 'a: 1\\n---\\nb: 2\\n---\\n- x' | from_yaml_all | list }}")
case("err_from_yaml_invalid", "{{ 'a: [1, 2' | from_yaml }}")
case("yaml_roundtrip", "{{ (cfg | to_yaml | from_yaml) == cfg }} {{ (users | to_nice_yaml | from_yaml) == users }}", D)
case("b64", "{{ 'hello' | b64encode }} {{ 'aGVsbG8=' | b64decode }} {{ 'ünï' | b64encode }} {{ 'w7xuw68=' | b64decode }} {{ '' | b64encode }}")
case("b64_urlsafe", "{{ '???>>>' | b64encode }} {{ '???>>>' | b64encode(urlsafe=true) }}")
case("hash", "{{ 'test' | hash('sha1') }} {{ 'test' | hash('md5') }} {{ 'test' | hash('sha256') }} {{ 'test' | hash }}")
case("hash_sha512", "{{ 'ünï' | hash('sha512') }} {{ 'x' | checksum }} {{ 'x' | md5 }} {{ 'x' | sha1 }}")
case("err_hash_unknown", "{{ 'x' | hash('nope') }}")
case("urlencode", "{{ 'a b&c=d/é' | urlencode }} {{ {'a': 'x y', 'b': 1} | urlencode }}")
case("tojson_builtin", "{{ {'a': [1, 'x']} | tojson }}")
# --- tests
case("test_defined", "{{ x is defined }} {{ y is defined }} {{ y is undefined }} {{ x is none }} {{ z is none }}", {"x": 1, "z": None})
case("test_defined_attr", "{{ cfg.a is defined }} {{ cfg.zzz is defined }} {{ cfg.c is none }}", D)
case("test_truthy_falsy", "{{ [1, 0, '', 'a', [], [0], none, 'false'] | select('truthy') | list }} {{ 'false' is truthy(convert_bool=true) }} {{ 'yes' is falsy(convert_bool=true) }} {{ 0 is falsy }}")
case("test_results", "{{ ok is succeeded }} {{ ok is success }} {{ ok is failed }} {{ bad is failed }} {{ bad is failure }} {{ ok is changed }} {{ bad is change }} {{ skip is skipped }} {{ skip is skip }} {{ ok is skipped }}",
     {"ok": {"changed": True, "rc": 0}, "bad": {"failed": True, "changed": False}, "skip": {"skipped": True}})
case("test_changed_results", "{{ r is changed }} {{ r2 is changed }}", {"r": {"results": [{"changed": False}, {"changed": True}]}, "r2": {"results": [{"changed": False}]}})
case("test_reachable", "{{ {'unreachable': true} is unreachable }} {{ {} is reachable }}")
case("err_test_failed_nondict", "{{ 'x' is failed }}")
case("test_match_search", "{{ 'foobar' is match('foo') }} {{ 'foobar' is match('bar') }} {{ 'foobar' is search('bar') }} {{ 'FOO' is match('foo', ignorecase=true) }} {{ 'a\\nfoo' is match('^foo', multiline=true) }} {{ 'a\\nfoo' is search('^foo', multiline=true) }}")
case("test_regex", "{{ 'abc' is regex('b') }} {{ 'abc' is regex('b', match_type='match') }} {{ 'abc' is regex('a.c', match_type='fullmatch') }}")
case("test_version", "{{ '1.10' is version('1.9', '>') }} {{ '2.19.1' is version('2.19.1', '==') }} {{ '1.2.3' is version('1.2', 'ge') }} {{ '1.0' is version('1.0.1', 'lt') }} {{ '1.2' is version_compare('1.3', '<=') }} {{ '1.0' is version('1.0', '!=') }}")
case("test_version_strict", "{{ '1.0a1' is version('1.0', '<', strict=true) }} {{ '1.0.0-rc.1' is version('1.0.0', '<', version_type='semver') }} {{ '1.0.0-alpha' is version('1.0.0-alpha.1', 'lt', version_type='semantic') }}")
case("test_version_default_op", "{{ '1.0' is version('1.0') }} {{ '1.0' is version('1.1') }}")
case("err_test_version_op", "{{ '1.0' is version('1.0', 'bad') }}")
case("err_test_version_empty", "{{ '' is version('1.0', '<') }}")
case("test_version_loose_words", "{{ '1.2.3rc1' is version('1.2.3', '>') }} {{ '8.0p1' is version('8.0', '>') }}")
case("test_subset_superset", "{{ [1, 2] is subset([1, 2, 3]) }} {{ [1, 4] is subset([1, 2, 3]) }} {{ [1, 2, 3] is superset([2]) }} {{ [] is subset([]) }} {{ [1, 2] is issubset([1, 2]) }}")
case("test_contains", "{{ [1, 2] is contains(2) }} {{ [1, 2] is contains(3) }} {{ 'abc' is contains('b') }} {{ users | selectattr('groups', 'contains', 'a') | map(attribute='name') | list }}", D)
case("test_any_all", "{{ [0, 1] is any }} {{ [0, 1] is all }} {{ [] is all }} {{ [] is any }}")
case("test_types", "{{ 'a' is string }} {{ 1 is string }} {{ 1 is number }} {{ 1.5 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ 1 is float }}")
case("test_collections", "{{ [1] is sequence }} {{ 'a' is sequence }} {{ {} is sequence }} {{ 1 is sequence }} {{ {} is mapping }} {{ [] is mapping }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ {} is iterable }}")
case("test_boolean", "{{ true is boolean }} {{ 1 is boolean }} {{ 'true' is boolean }} {{ true is true }} {{ false is false }} {{ 1 is true }}")
case("test_jinja_builtins", "{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby(3) }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ 2 is in([1, 2]) }} {{ 1 is eq(1) }} {{ 1 is ne(2) }} {{ 2 is gt(1) }} {{ 2 is ge(2) }} {{ 1 is lt(2) }} {{ 1 is le(0) }} {{ 'a' is sameas('a') }}")
case("test_escaped_filter_test", "{{ 'upper' is filter }} {{ 'nosuchfilter' is filter }} {{ 'odd' is test }} {{ 'nosuchtest' is test }}")
case("test_nan", "{{ (0.0 ~ '') is string }}")
case("test_paths", "{{ 'hello.txt' is file }} {{ 'files' is directory }} {{ 'hello.txt' is directory }} {{ 'nope' is exists }} {{ 'files' is exists }} {{ '/etc' is abs }} {{ 'etc' is abs }} {{ 'hello.txt' is link }}")
case("test_in_operator", "{{ 'a' in ['a', 'b'] }} {{ 'x' in 'xyz' }} {{ 'k' in {'k': 1} }} {{ 3 not in [1, 2] }}")
# --- lookups
case("lookup_env", "{{ lookup('env', 'STACKBOOK_SURELY_UNSET_VAR') }}|{{ lookup('env', 'STACKBOOK_SURELY_UNSET_VAR', default='fallback') }}|{{ lookup('env', 'PATH') | length > 0 }}")
case("lookup_file", "{{ lookup('file', 'hello.txt') }}")
case("lookup_file_files_dir", "{{ lookup('file', 'role.txt') }}")
case("lookup_file_role_path", "{{ lookup('file', 'role.txt') }}", {"role_path": "__FIXTURES__"})
case("query_file", "{{ query('file', 'hello.txt', 'role.txt') }}")
case("lookup_file_multi", "{{ lookup('file', 'hello.txt', 'role.txt') }}")
case("err_lookup_file_missing", "{{ lookup('file', 'does-not-exist.txt') }}")
case("lookup_file_missing_ignore", "{{ lookup('file', 'does-not-exist.txt', errors='ignore') }}|{{ query('file', 'does-not-exist.txt', errors='ignore') }}")
case("lookup_pipe", "{{ lookup('pipe', 'echo hello; echo world') }}|{{ lookup('pipe', 'printf \"x  \\n\\n\"') }}|")
case("lookup_pipe_cwd", "{{ lookup('pipe', 'cat hello.txt | wc -l') | trim }}")
case("err_lookup_pipe_fail", "{{ lookup('pipe', 'exit 3') }}")
case("lookup_lines", "{{ lookup('lines', 'printf \"a\\nb\\nc\\n\"') }}|{{ query('lines', 'printf \"a\\nb\\n\"') }}")
case("lookup_vars", "{{ lookup('vars', 'myvar') }} {{ lookup('vars', 'nope', default='dflt') }} {{ query('vars', 'myvar', 'other') }}", {"myvar": "val", "other": [1, 2]})
case("err_lookup_vars_missing", "{{ lookup('vars', 'nope') }}")
case("lookup_wantlist", "{{ lookup('vars', 'myvar', wantlist=true) }} {{ q('vars', 'myvar') }} {{ lookup('vars', 'lst') }}", {"myvar": "val", "lst": [1, 2]})
case("lookup_first_found", "{{ lookup('first_found', ['nope.txt', 'hello.txt']) | basename }}|{{ lookup('first_found', files=['nope', 'role.txt'], paths=['files']) | basename }}|{{ lookup('first_found', ['nope.txt'], skip=true) }}")
case("err_lookup_first_found_none", "{{ lookup('first_found', ['nope.txt', 'nope2.txt']) }}")
case("err_lookup_unknown", "{{ lookup('no_such_lookup_plugin', 'x') }}")
case("lookup_items_list", "{{ lookup('items', [1, 2], [3]) }} {{ query('list', 'a', 'b') }} {{ lookup('list', 'a', 'b') }}")
case("lookup_dict", "{{ lookup('dict', {'a': 1, 'b': 2}) }}")
# --- misc / rendering
case("render_list_repr", "{{ ['a', 'b'] }} {{ {'k': 'v', 'n': none} }} {{ true }} {{ none }} {{ [] }} {{ {} }}")
case("render_nested_repr", "{{ {'l': [1, 'two', 3.0, [true, false]], 'q': \"it's\", 'd': 'say \"x\"'} }}")
case("render_repr_escapes", "{{ ['tab\\there', 'nl\\n', 'back\\\\slash', 'ünï', 'both\\'\"'] }}")
case("render_native_single", "{{ users | map(attribute='age') | list }}", D)
case("render_mixed", "Users: {{ users | map(attribute='name') | join(', ') }} ({{ users | length }})", D)
case("string_concat", "{{ 'a' ~ 1 ~ true ~ none }} {{ [1] ~ '' }}")
case("math_ops", "{{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 1 + 1.5 }} {{ 10 / 5 }}")
case("string_methods", "{{ 'abc'.upper() }} {{ 'a,b'.split(',') }} {{ 'Hello'.startswith('He') }} {{ ' x '.strip() }} {{ 'abc'.replace('b', 'x') }}")
case("dict_methods", "{{ cfg.keys() | list }} {{ cfg.get('b') }} {{ cfg.get('zz', 'dflt') }} {% for k, v in cfg.items() %}{{ k }}{% endfor %}", D)
case("set_and_namespace", "{% set ns = namespace(total=0) %}{% for u in users %}{% set ns.total = ns.total + u.age %}{% endfor %}{{ ns.total }}", D)
case("whitespace_control", "{% for i in [1, 2] -%}\n  {{ i }}\n{%- endfor %}")
case("macro", "{% macro greet(n, p='Hi') %}{{ p }} {{ n }}{% endmacro %}{{ greet('bob') }}, {{ greet('al', p='Yo') }}")
case("loop_controls", "{% for i in range(10) %}{% if i > 3 %}{% break %}{% endif %}{% if i is odd %}{% continue %}{% endif %}{{ i }}{% endfor %}")
case("inline_if", "{{ 'a' if x else 'b' }} {{ 'a' if y else 'b' }}", {"x": True, "y": False})
case("pipeline_realistic", "{{ pods | selectattr('status', 'equalto', 'Running') | map(attribute='name') | sort | join(' ') }}",
     {"pods": [{"name": "pg-1", "status": "Running"}, {"name": "pg-0", "status": "Running"}, {"name": "pg-2", "status": "Pending"}]})
case("pipeline_dict_transform", "{{ env | dict2items | map(attribute='key') | map('upper') | list }} {{ env | dict2items | selectattr('value', 'match', '^[0-9]+$') | items2dict }}", {"env": {"port": "5432", "host": "db", "max": "100"}})
case("k8s_manifest_yaml", "{{ manifest | to_nice_yaml(indent=2) }}", {"manifest": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "pg-config", "labels": {"app": "postgres", "tier": "db"}}, "data": {"postgresql.conf": "max_connections = 100\nshared_buffers = 128MB\n", "enabled": "true", "port": "5432"}}})
case("k8s_manifest_json", "{{ manifest | to_json }}", {"manifest": {"apiVersion": "v1", "kind": "Secret", "data": {"password": "c2VjcmV0"}}})
case("unicode_everywhere", "{{ 'Ünïcødé' | lower | b64encode | b64decode | upper }} {{ ['ä', 'Ä', 'b'] | unique }} {{ ['é', 'e', 'z'] | sort }}")
case("empty_inputs", "[{{ '' | upper }}] [{{ [] | join(',') }}] [{{ [] | unique }}] [{{ {} | combine({}) }}] [{{ [] | flatten }}] [{{ '' | split(',') }}] [{{ [] | sort }}]")
case("chained_defaults", "{{ (missing | default({})).get('x', 'none') }} {{ (missing | default([])) | length }}")
case("err_int_on_list_method", "{{ [1, 2].nosuchmethod() }}")
case("err_sort_mixed", "{{ [1, 'a'] | sort }}")
case("err_combine_list_merge_bad", "{{ {'a': 1} | combine({'a': 2}, list_merge='bogus') }}")
case("err_undefined_attr", "{{ cfg.nope.deeper }}", D)
case("err_b64decode_invalid", "{{ '%%%' | b64decode }}")
case("err_from_yaml_undefined", "{{ missing | from_yaml }}")
case("err_to_json_undefined", "{{ missing | to_json }}")
case("err_zip_noniterable", "{{ 5 | zip([1]) | list }}")
case("version_in_when_style", "{{ ansible_version_full is version('2.9', '>=') and 'x' is string }}", {"ansible_version_full": "2.19.4"})
case("default_omit_like", "{{ x | default(omit_token) }}", {"omit_token": "__omit_place_holder__"})
case("map_join_numbers", "{{ [1.0, 2, 3.5] | map('string') | join('|') }}")
case("sort_dicts_no_attr_err", "{{ [{'a': 1}, {'a': 2}] | sort(attribute='a') | map(attribute='a') | list }}")
case("selectattr_nested", "{{ items | selectattr('meta.enabled') | map(attribute='meta.name') | list }}", {"items": [{"meta": {"enabled": True, "name": "a"}}, {"meta": {"enabled": False, "name": "b"}}]})
case("map_nested_attr", "{{ items | map(attribute='meta.name') | list }} {{ items | map(attribute='tags.0') | list }}", {"items": [{"meta": {"name": "a"}, "tags": ["t1"]}, {"meta": {"name": "b"}, "tags": ["t2"]}]})
case("max_strings_case", "{{ ['b', 'C', 'a'] | max }} {{ ['b', 'C', 'a'] | max(case_sensitive=true) }}")
case("min_attribute", "{{ (users | min(attribute='age')).name }}", D)
case("length_of_dict_items", "{{ cfg | dict2items | length }} {{ cfg.a.z | length }}", D)
case("from_json_nested_access", "{{ (raw | from_json)['items'][0].metadata.name }}", {"raw": "{\"items\": [{\"metadata\": {\"name\": \"pod-a\"}}]}"})
case("to_yaml_special_strings", "{{ {'a': 'x: y', 'b': '[list]', 'c': '{map}', 'd': '*star', 'e': '&amp', 'f': '!bang', 'g': '%pct', 'h': '|pipe', 'i': '>gt', 'j': '? q', 'k': '-dash', 'l': '- dash', 'm': 'a,b', 'n': '...', 'o': '---x'} | to_yaml }}")
case("to_nice_yaml_special_strings", "{{ {'a': 'x: y', 'b': '[list]', 'c': 'a,b', 'd': '-dash', 'e': 'k=v', 'f': 'trailing:', 'g': 'http://x.y/z', 'h': 'C:\\\\path'} | to_nice_yaml }}")
case("to_yaml_int_keys", "{{ {1: 'a', 2: 'b'} | to_yaml }} {{ {true: 'x'} | to_yaml }}")
case("to_yaml_long_key_list", "{{ {'k': ['a' * 50, 'b' * 50]} | to_yaml }}")
case("to_yaml_double_quoted_long", "{{ ['\\u0001' ~ ('word ' * 25)] | to_yaml }}")
case("to_nice_yaml_long_string", "{{ {'description': 'This is a fairly long description string that certainly exceeds the eighty column limit of PyYAML'} | to_nice_yaml }}")
case("to_nice_yaml_multiline_list", "{{ ['one\\ntwo', 'three'] | to_nice_yaml }}")
case("to_yaml_leading_newline", "{{ ['\\nx', 'x\\n\\n', ' \\n'] | to_yaml }}")

# --- real newlines / control chars come from the context (template literals are raw in Ansible)
NL = {"ml": "line1\nline2\n", "one": "a\n", "trail": "x \ny", "blank": "a\nb\n\nc", "two": "a\nb", "xy": "x\n\ny",
      "cfgtext": "a: 1\nb: 2\n", "msg": "it's\nhere", "lead": "\nx", "dbl": "x\n\n", "spnl": " \n", "ctrl": "a\u0001b", "nbsp": "a\u00a0b",
      "tab": "a\tb", "bom": "\ufeffx", "crlf": "a\r\nb", "uni_ml": "Jürgen\n✓ 😀\n", "long_ml": "first line\n" + "word " * 20 + "\nlast",
      "indented": "  leading\n  spaces\n", "y1": "a: 1\nb: [x, y]\nc: {d: e}",
      "y11": "a: yes\nb: off\nc: On\nd: y\ne: 0755\nf: 0x1F\ng: 1_000\nh: ~\ni: 1e5\nj: 1.5\nk: .inf\nl: 1:30\nm: \"yes\"\nn: 'on'\no: -0b101\np: +12\nr: null\ns: NULL\nt: 1.5e+3\nu: 6.02e23\n",
      "yblock": "script: |\n  echo 1\n  echo 2\nfolded: >\n  a\n  b\nkeep: |+\n  x\n\nstrip: |-\n  y\n",
      "yanchor": "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\nmulti:\n  <<: [*b, {z: 9}]\nlist: [*b]",
      "yall": "a: 1\n---\nb: 2\n---\n- x\n", "ytags": "a: !!str 123\nb: !!int '7'\nd: !!float '1'\n",
      "ydup": "a: 1\nb: 2\na: 3\n", "yempty": "", "ycomment": "# only a comment\n", "ynested": "spec:\n  containers:\n    - name: pg\n      image: postgres:16\n      env:\n        - {name: A, value: '1'}\n"}
case("nl_to_yaml_multiline", "{{ {'script': ml, 'one': one, 'trail': trail} | to_yaml }}", NL)
case("nl_to_nice_yaml_multiline", "{{ {'cfg': cfgtext, 'msg': msg, 'uni': uni_ml, 'indented': indented} | to_nice_yaml }}", NL)
case("nl_to_nice_yaml_multiline_list", "{{ [two, 'three', ml] | to_nice_yaml }}", NL)
case("nl_to_yaml_leading_newline", "{{ [lead, dbl, spnl] | to_yaml }}", NL)
case("nl_to_yaml_control", "{{ [ctrl, nbsp, tab, bom, crlf] | to_yaml }}", NL)
case("nl_to_yaml_long_multiline", "{{ {'k': long_ml} | to_yaml }}", NL)
case("nl_to_yaml_double_quoted_long", "{{ [ctrl ~ (' word' * 25)] | to_yaml }}", NL)
case("nl_to_nice_yaml_key_multiline", "{{ {two: 1} | to_nice_yaml }}", NL)
case("nl_to_json_control", "{{ [ctrl, tab, crlf, two] | to_json }}", NL)
case("nl_repr_control", "{{ [ctrl, nbsp, tab, crlf, bom] }}", NL)
case("nl_indent", "{{ blank | indent(2) }}|{{ two | indent(4, true) }}|{{ xy | indent(2, blank=true) }}|{{ two | indent(first=true) }}", NL)
case("nl_trim_lines", "[{{ ml | trim }}] {{ ml.splitlines() }} {{ ml.split('\n') }}", NL)
case("nl_regex_multiline", "{{ two | regex_replace('^', '> ', multiline=true) }}|{{ cfgtext | regex_findall('^(\\w)=', multiline=true) }}|{{ cfgtext | regex_findall('^(\\w):', multiline=true) }}", NL)
case("nl_test_match_multiline", "{{ two is match('^b', multiline=true) }} {{ two is search('^b', multiline=true) }} {{ two is search('^b') }}", NL)
case("nl_from_yaml_basic", "{{ y1 | from_yaml }}", NL)
case("nl_from_yaml_yaml11", "{{ y11 | from_yaml }}", NL)
case("nl_from_yaml_block", "{{ yblock | from_yaml }}", NL)
case("nl_from_yaml_anchors", "{{ yanchor | from_yaml }}", NL)
case("nl_from_yaml_all", "{{ yall | from_yaml_all | list }}", NL)
case("nl_from_yaml_tags", "{{ ytags | from_yaml }}", NL)
case("nl_from_yaml_dup", "{{ ydup | from_yaml }}", NL)
case("nl_from_yaml_empty", "{{ yempty | from_yaml }}|{{ ycomment | from_yaml }}", NL)
case("nl_from_yaml_nested", "{{ (ynested | from_yaml).spec.containers[0].env[0].value }} {{ ynested | from_yaml | to_nice_yaml }}", NL)
case("nl_wordcount_lines", "{{ long_ml | wordcount }} {{ ml | length }}", NL)
case("nl_b64_multiline", "{{ ml | b64encode }} {{ ml | b64encode | b64decode == ml }}", NL)
case("nl_hash_multiline", "{{ uni_ml | hash('sha256') }}", NL)
case("nl_quote_multiline", "{{ two | quote }}", NL)
case("raw_backslash_regex", "{{ 'a1b22' | regex_replace('\\d+', '#') }} {{ 'John Smith' | regex_replace('^(\\w+) (\\w+)$', '\\2, \\1') }}")
case("raw_backslash_windows_path", "{{ 'C:\\newdir\\file.txt' }} {{ 'C:\\temp' | length }}")
case("set_statement_escapes", "{% set s = 'a\\nb' %}{{ s | length }} {{ s.split('\\n') }}")

case("native_none", "{{ none }}")
case("native_none_filter_result", "{{ 'abc' | regex_search('x') }}")
case("concat_none", "a{{ none }}b{{ [none] }}")
case("py_str_methods", "{{ 'a,b,,c'.split(',') }} {{ '  x y  '.split() }} {{ 'a b c'.split(None, 1) }} {{ 'k=v=w'.rsplit('=', 1) }} {{ 'x'.zfill(3) }} {{ 'ab'.rjust(4, '*') }} {{ 'hello'.find('l') }} {{ 'hello'.count('l') }}")
case("py_str_predicates", "{{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ 'a1'.isalnum() }} {{ '  '.isspace() }} {{ 'abc'.islower() }} {{ 'ABC'.isupper() }} {{ 'x.yml'.endswith(('.yml', '.yaml')) }}")
case("py_str_case", "{{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ 'a-b'.partition('-') }} {{ ','.join(['a', 'b']) }} {{ 'xxaxx'.strip('x') }} {{ '  a '.lstrip() }}|{{ ' a  '.rstrip() }}|")
case("py_dict_methods", "{{ cfg.values() | list | length }} {{ cfg.items() | list | first }} {{ cfg.get('c') }} {{ cfg.get('missing') }} {{ cfg.copy() == cfg }}", D)
case("py_list_methods", "{{ [1, 2, 3, 2].index(2) }} {{ [1, 2, 2].count(2) }}")

case("subelements", "{% for u, g in users | subelements('groups') %}{{ u.name }}:{{ g }} {% endfor %}", D)
case("subelements_skip", "{{ items | subelements('tags', skip_missing=true) | map('last') | list }}", {"items": [{"n": 1, "tags": ["a", "b"]}, {"n": 2}]})
case("err_subelements_missing", "{{ items | subelements('tags') }}", {"items": [{"n": 1, "tags": ["a"]}, {"n": 2}]})
case("path_join", "{{ ['/etc', 'nginx', 'conf.d'] | path_join }} {{ ['a', '/abs', 'b'] | path_join }} {{ ['a/', 'b'] | path_join }}")
case("err_lookup_template", "{{ lookup('template', 'x.j2') }}")
case("int_base_zero", "{{ '0x10' | int(base=0) }} {{ '0o17' | int(base=0) }} {{ '0b11' | int(base=0) }}")
case("combine_empty_and_self", "{{ {} | combine({'a': 1}) }} {{ {'a': 1} | combine({}) }} {{ {'a': 1} | combine({'a': 1}) }} {{ [] | combine }}")
case("bool_edge", "{{ 'TRUE' | bool }} {{ ' yes' | bool }} {{ 'y' | bool }} {{ 1.0 | bool }} {{ 0.0 | bool }}")
case("to_json_bool_keys", "{{ {true: 1, none: 2, 1.5: 3, 2: 4} | to_json }}")
case("to_nice_json_sorted_nested", "{{ {'z': {'b': 1, 'a': [{'d': 1, 'c': 2}]}, 'a': none} | to_nice_json }}")
case("repr_float_specials", "{{ [1e300 * 1e300, -(1e300 * 1e300), 1e-320] }}")
case("truncate_kwargs_only", "{{ 'one two three four five six' | truncate(length=12, killwords=false, end='..', leeway=0) }}")
case("regex_search_multiline_anchor", "{{ ml | regex_search('^line2', multiline=true) }}|{{ ml | regex_search('line1$') }}|{{ ml | regex_search('(?m)line1$') }}", {"ml": "line1\nline2\n"})
case("regex_replace_backref_words", "{{ 'aaa bbb' | regex_replace('(\\w)\\1+', '<\\g<0>>') }}")
case("regex_replace_unicode_class", "{{ 'héllo wörld 42' | regex_replace('\\w+', 'W') }} {{ 'a\u00a0b' | regex_findall('\\s') | length }}")

case("comment_styles", "{{ 'text' | comment('c') }}|{{ 'text' | comment('erlang') }}|{{ 'text' | comment('cblock') }}|{{ 'text' | comment('xml') }}")
case("comment_multiline", "{{ ml | comment }}", {"ml": "one\ntwo"})
case("defined_chain", "{{ cfg.zzz.yyy is defined }} {{ nope.deeper is undefined }}", D)

case("fqcn_filters", "{{ missing | ansible.builtin.default('a') }} {{ 'a' | ansible.builtin.upper }} {{ [1] | ansible.builtin.to_json }} {{ [1, 2] | ansible.builtin.map('string') | list }} {{ 'x' | ansible.builtin.regex_replace('x', 'y') }} {{ [3, 1] | ansible.builtin.sort(reverse=true) }} {{ {'a': 1} | ansible.builtin.combine({'b': 2}) | ansible.builtin.to_nice_yaml(indent=2) }}")
case("fqcn_tests", "{{ 'a' is ansible.builtin.string }} {{ {} is ansible.builtin.mapping }} {{ {'a': 1} is ansible.builtin.failed }} {{ '1.2' is ansible.builtin.version('1.10', '<') }} {{ x is ansible.builtin.defined }}", {"x": 1})
case("to_nice_yaml_width", "{{ {'k': 'word ' * 30} | to_nice_yaml(width=1000) }}|{{ {'k': 'word ' * 30} | to_yaml(width=40) }}")
case("to_nice_yaml_sort_false", "{{ {'b': 1, 'a': {'d': 1, 'c': 2}} | to_nice_yaml(sort_keys=false) }}")
case("selectattr_version_in", "{{ pkgs | selectattr('v', 'version', '2.0', '>=') | map(attribute='n') | list }} {{ pkgs | selectattr('n', 'in', ['a', 'c']) | map(attribute='v') | list }}", {"pkgs": [{"n": "a", "v": "1.9"}, {"n": "b", "v": "2.10"}, {"n": "c", "v": "2.0"}]})
case("format_float_precision", "{{ '%.1f' | format(2.25) }} {{ '%.3f' | format(1) }} {{ '%5.1f|' | format(3.14159) }} {{ '%e' | format(12345.678) }} {{ '%x %X %o' | format(255, 255, 8) }}")

case("raw_backslash_nested_braces", "{{ {'a': {'b': 'x\\d'}} }} {{ 'q\\n' | length }}")

case("fileglob_filter", "{{ 'files/*.conf' | fileglob | sort }} {{ 'files/*.none' | fileglob }} {{ 'files/[ab].conf' | fileglob | length }} {{ 'files/.*.conf' | fileglob }}")
case("fileglob_lookup", "{{ query('fileglob', '*.conf') | map('basename') | sort }} {{ lookup('fileglob', 'files/b*') | basename }} {{ query('fileglob', '*.txt') | map('basename') | list }}")

case("human_readable", "{{ 1024 | human_readable }} {{ 12 | human_readable }} {{ 1 | human_readable }} {{ 1536000 | human_readable }} {{ 10737418240 | human_readable }} {{ 1048576 | human_readable(unit='K') }} {{ 1024 | human_readable(isbits=true) }} {{ 0 | human_readable }} {{ 1.5 | human_readable }} {{ (1099511627776 * 3) | human_readable(unit='g') }}")
case("err_human_readable_string", "{{ '2048' | human_readable }}")
case("human_to_bytes", "{{ '1K' | human_to_bytes }} {{ '1.5G' | human_to_bytes }} {{ '10 MB' | human_to_bytes }} {{ '512' | human_to_bytes }} {{ 10 | human_to_bytes('M') }} {{ '1Mb' | human_to_bytes(isbits=true) }} {{ '2 kilobyte' | human_to_bytes }} {{ '3 Megabyte' | human_to_bytes }} {{ '0.5K' | human_to_bytes }} {{ '1B' | human_to_bytes }}")
case("err_human_to_bytes_bits_mismatch", "{{ '1Mb' | human_to_bytes }}")
case("err_human_to_bytes_garbage", "{{ 'lots' | human_to_bytes }}")
case("filesizeformat", "{{ 1 | filesizeformat }} {{ 999 | filesizeformat }} {{ 1000 | filesizeformat }} {{ 1500000 | filesizeformat }} {{ 1048576 | filesizeformat(true) }} {{ 123456789012 | filesizeformat }} {{ 0 | filesizeformat }}")

case("urlsplit", "{{ 'https://User:Pw@Example.COM:8443/a/b?x=1&y=2#frag' | urlsplit }}|{{ 'postgres://db.local:5432/app' | urlsplit('hostname') }} {{ 'postgres://db.local:5432/app' | urlsplit('port') }} {{ 'http://[::1]:80/' | urlsplit('hostname') }}|{{ 'relative/path?q' | urlsplit }}")
case("to_uuid", "{{ 'host1' | to_uuid }} {{ 'x' | to_uuid(namespace='6ba7b810-9dad-11d1-80b4-00c04fd430c8') }} {{ '' | to_uuid }}")

case("kwargs_forms", "{{ true | ternary(true_val='y', false_val='n') }} {{ 'x' | hash(hashtype='md5') }} {{ 2048 | filesizeformat(binary=true) }} {{ 'a b' | split(sep=' ') }} {{ 'http://h:1/' | urlsplit(query='port') }} {{ 'v' | mandatory(msg='m') }} {{ 't' | comment(style='c') }}")
case("err_mandatory_msg_kwarg", "{{ missing | mandatory(msg='custom message') }}")

# --- from_yaml parsing edge cases (YAML 1.1 as PyYAML's SafeLoader reads it)
YS = {
  "empty_values": "a:\nb: ~\nc: ''\nd: []\ne: {}\n",
  "numbers": "a: 0o17\nb: 0b1_0\nc: -0\nd: +.inf\ne: .5\nf: 1.\ng: 0.1e3\nh: 1e+3\ni: 0x_1F\nj: 08\nk: 1__0\nl: -1:30\nm: 190:20:30\nn: 1.0e-3\n",
  "bools": "a: y\nb: Y\nc: yes\nd: NO\ne: True\nf: FALSE\ng: oN\nh: off\n",
  "strings": "a: 'single ''quoted'' '\nb: \"double \\\"q\\\" \\u00e9 \\t tab\"\nc: plain text here\nd: a:b\ne: -dash\nf: '#not comment'\ng: value # comment\n",
  "multiline_plain": "a: this is\n  folded plain\n  text\nb: \"quoted\n  folded\"\n",
  "block_indicators": "a: |2\n    indented\n   less\nb: >-\n  folded\n  stripped\n\n  para\nc: |+\n  keep\n\nd: end\n",
  "flow_nested": "a: {b: [1, {c: d}], e: [f, [g, h]]}\nk: [ a , b ]\n",
  "quoted_keys": "'yes': 1\n\"1\": 2\n1: 3\ntrue: 4\nnull: 5\n",
  "merge_list": "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n",
  "anchors_seq": "base: &l [1, 2]\nuse: *l\nnested: [*l, *l]\n",
  "docs_end": "--- \na: 1\n...\n---\nb: 2\n",
  "unicode": "name: Jürgen\nemoji: \"\\U0001F600\"\njp: 日本語\n",
  "tabs_in_values": "a: \"x\\ty\"\nb: 'x\ty'\n",
  "top_list": "- a\n- b: 1\n  c: 2\n- - nested\n  - list\n",
  "timestamps_like": "a: 2024-1-2\nb: 12:30\nc: 1:2:3\nd: 20240102\n",
}
for name, text in YS.items():
    case(f"yaml_parse_{name}", "{{ y | from_yaml }}" if name != "docs_end" else "{{ y | from_yaml_all | list }}", {"y": text})

case("random_seeded_int", "{{ 59 | random(seed='web01') }} {{ 59 | random(seed='web02') }} {{ 100 | random(seed=42) }} {{ 10 | random(start=5, seed='x') }} {{ 100 | random(1, 10, seed='y') }} {{ 1000000 | random(seed=0) }} {{ 7 | random(seed=-7) }}")
case("random_seeded_choice", "{{ ['a', 'b', 'c', 'd'] | random(seed='host-1') }} {{ ['a', 'b', 'c', 'd'] | random(seed='host-2') }} {{ 'xyz' | random(seed=3) }}")
case("random_seeded_large", "{{ 10000000000 | random(seed='big') }} {{ 4294967296 | random(seed=1) }} {{ 4294967297 | random(seed=2) }}")
case("random_unseeded_range", "{{ (10 | random) < 10 }} {{ (['x'] | random) == 'x' }}")
case("shuffle_seeded", "{{ [1, 2, 3, 4, 5] | shuffle(seed='s') }} {{ ['a', 'b', 'c'] | shuffle(seed=99) }} {{ [] | shuffle(seed=1) }}")
case("err_random_empty", "{{ [] | random(seed=1) }}")
case("err_random_empty_range", "{{ 0 | random(seed=1) }}")

for i in range(10):
    case(f"random_seed_sweep_{i}", "{% for h in hosts %}{{ 59 | random(seed=h) }},{{ hosts | random(seed=h ~ 'x') }},{{ 23 | random(seed=loop.index) }};{% endfor %}", {"hosts": [f"host{i}-{j}.example.com" for j in range(8)]})

case("to_json_ensure_ascii_false", "{{ {'k': 'héllo ✓ 😀', 'c': ctrl} | to_json(ensure_ascii=false) }} {{ ['ü'] | to_nice_json(ensure_ascii=false) }}", {"ctrl": "a\u0001\u007fb\n"})
case("to_json_separators", "{{ {'a': [1, 2], 'b': {'c': none}} | to_json(separators=[',', ':']) }} {{ {'a': 1} | to_json(indent=2, separators=[', ', ' = ']) }} {{ {'a': [1]} | to_nice_json(separators=[';', '=']) }}")

case("repr_unicode_categories", "{{ [s] }}", {"s": "".join(chr(c) for c in [0x378, 0x61C, 0x180E, 0xAD, 0x300, 0x2028, 0x3000, 0xE000, 0xFFF0, 0x1F600, 0x10FFFF, 0xA0, 0x85, 0x7F, 0x200B, 0x2060, 0xFEFF, 0xE0001, 0x1D173, 0x0F3A, 0x20000, 0x3134B])})

# --- seeded random structures: emitter/serializer stress against the oracle
import random
rnd = random.Random(20261123)
TRICKY = ["yes", "No", "on", "off", "true", "null", "~", "", " ", "  lead", "trail  ", "a: b", "a:b", "key:", "- item", "-x", "--- doc",
          "...", "#hash", "a #b", "a#b", "[x]", "{y}", "a, b", "?q", "? q", ":colon", "@at", "`bt", "%pc", "!bang", "&amp", "*star", "|pipe",
          ">gt", "'sq'", '"dq"', "it's", 'say "hi"', "back\\slash", "tab\there", "nl\nmid", "trail\n", "\nlead", "cr\r\nlf", "a\n\nb",
          "sp \n", "\n sp", "0755", "0x1F", "012", "+1", "-1", "1.5", ".5", "1e5", "1_000", "1:30", "2024-01-02", "=", "<<", "True", "NULL",
          "ünï", "日本語テキスト", "emoji 😀", "nbsp\u00a0x", "nel\u0085x", "ls\u2028x", "bom\ufeffx", "ctl\u0007x", "esc\u001bx", "del\u007fx",
          "x" * 90, "word " * 20, "w " * 50, ("longer sentence with many words " * 4).strip(), "a  b  c", "ends with space ",
          "http://example.com/path?q=1&r=2", "C:\\Windows\\path", "${VAR}", "{{ not_a_template }}", "multi\nline\ntext\n", "é" * 45 + " " + "é" * 45]
def rstr():
    r = rnd.random()
    if r < 0.6:
        return rnd.choice(TRICKY)
    return "".join(rnd.choice("abcdefghij XYZ-_:.#'\"\n") for _ in range(rnd.randint(0, 30)))
def rkey():
    r = rnd.random()
    if r < 0.15:
        return "k" * rnd.choice([127, 128, 129, 130])
    if r < 0.5:
        return rnd.choice(TRICKY)
    return rnd.choice(["name", "image", "ports", "env", "value", "spec", "replicas", "labels", "data", "a", "b", "zz", "Key", "_x", "1", "10", "2"])
def rscalar():
    r = rnd.random()
    if r < 0.5:
        return rstr()
    if r < 0.65:
        return rnd.choice([0, 1, -5, 42, 10**12, 2**63 - 1, 7])
    if r < 0.8:
        return rnd.choice([0.5, 1.0, -2.25, 1e20, 1.5e-7, 3.14159, 100.0, 1e16, 123456789.125])
    if r < 0.9:
        return rnd.choice([True, False])
    return None
def rvalue(depth=0):
    r = rnd.random()
    if depth > 3 or r < 0.35:
        return rscalar()
    if r < 0.65:
        return [rvalue(depth + 1) for _ in range(rnd.randint(0, 5))]
    d = {}
    for _ in range(rnd.randint(0, 5)):
        d[rkey()] = rvalue(depth + 1)
    return d
for i in range(30):
    case(f"rand_to_yaml_{i:02d}", "{{ data | to_yaml }}", {"data": rvalue()})
for i in range(30):
    case(f"rand_to_nice_yaml_{i:02d}", "{{ data | to_nice_yaml(indent=%d) }}" % rnd.choice([2, 4, 4]), {"data": rvalue()})
for i in range(12):
    case(f"rand_to_json_{i:02d}", "{{ data | to_json }}", {"data": rvalue()})
for i in range(12):
    case(f"rand_to_nice_json_{i:02d}", "{{ data | to_nice_json }}", {"data": rvalue()})
for i in range(12):
    case(f"rand_repr_{i:02d}", "{{ data }}", {"data": [rvalue(), rvalue()]})
for i in range(8):
    case(f"rand_yaml_roundtrip_{i:02d}", "{{ (data | to_nice_yaml | from_yaml) == data }} {{ (data | to_yaml | from_yaml) == data }} {{ (data | to_json | from_json) == data }}", {"data": rvalue()})

out = pathlib.Path(__file__).resolve().parent / "inputs"
import shutil
for f in out.glob("*.txt"): f.unlink()
names = set()
for name, ctx, tmpl in C:
    assert name not in names, name
    names.add(name)
    (out / f"{name}.txt").write_text(json.dumps(ctx, indent=2, ensure_ascii=False) + "\n---\n" + tmpl + "\n", encoding="utf-8")
print(len(C))
