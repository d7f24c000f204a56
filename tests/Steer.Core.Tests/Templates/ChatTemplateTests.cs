using System.Text.Json;
using Steer.Errors;
using Steer.Templates;

namespace Steer.Tests.Templates;

/// <summary>The interpreter's Jinja2 semantics, one rule at a time (the corpus test covers whole templates).</summary>
public class ChatTemplateTests
{
    static string Render(string source, string json = "{}", TemplateLimits? limits = null)
    {
        var vars = new Dictionary<string, object?>();
        foreach (var p in JsonDocument.Parse(json).RootElement.EnumerateObject()) vars[p.Name] = p.Value.Clone();
        return ChatTemplate.Parse(source).Render(vars, limits, new DateTime(2024, 7, 26, 12, 0, 0));
    }

    static SteerException Fails(string source, string json = "{}", TemplateLimits? limits = null)
    {
        var e = Should.Throw<SteerException>(() => Render(source, json, limits));
        e.Kind.ShouldBe(ErrorKind.InvalidArgument);
        return e;
    }

    [Theory]
    [InlineData("{% if true %}\nx\n{% endif %}\ny", "x\ny")]                    // trim_blocks eats the newline after %}
    [InlineData("{# note #}\nx", "x")]                                            // ... and after #}
    [InlineData("{{ 'a' }}\nb", "a\nb")]                                          // but not after }}
    [InlineData("  {% if true %}\n  a\n  {% endif %}\nb", "  a\nb")]              // lstrip_blocks before {%
    [InlineData("  {{ 'a' }}", "  a")]                                            // not before {{
    [InlineData("x  {% if true %}y{% endif %}", "x  y")]                          // only at the start of a line
    [InlineData("a \n {%- if true -%} \n b {%- endif %}", "ab")]                  // - strips newlines too
    [InlineData("a \n {{- 'x' -}} \n b", "axb")]
    [InlineData("a\n", "a")]                                                      // keep_trailing_newline=False
    [InlineData("a\n\n", "a\n")]
    [InlineData("{{ 'a\\nb' }}|{{ \"it\\\"s\" }}|{{ 'tab\\there' }}", "a\nb|it\"s|tab\there")] // Python escapes
    public void Whitespace_control_and_literals(string source, string expected) => Render(source).ShouldBe(expected);

    [Fact]
    public void Tojson_is_python_json_dumps()
    {
        const string json = """{"x": {"b": 1, "a": [1, 2.5, 22.0, "Zürich \"q\"\n\t\u0001"], "c": null, "d": true, "e": {}, "f": []}}""";
        Render("{{ x | tojson }}", json).ShouldBe("{\"b\": 1, \"a\": [1, 2.5, 22.0, \"Zürich \\\"q\\\"\\n\\t\\u0001\"], \"c\": null, \"d\": true, \"e\": {}, \"f\": []}");
        Render("{{ x | tojson(indent=2) }}", """{"x": {"a": [1, 2], "b": "c"}}""").ShouldBe("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"c\"\n}");
    }

    [Theory]
    [InlineData("{{ nope }}|{{ nope | trim }}|{{ nope | length }}", "||0")]
    [InlineData("{% if nope %}y{% else %}n{% endif %}", "n")]
    [InlineData("{{ nope is defined }} {{ nope is not defined }} {{ 'x' in nope }}", "False True False")]
    [InlineData("{% for x in nope %}x{% endfor %}", "")]
    [InlineData("{{ none }} {{ none is none }} {{ '' != false }} {{ 1 == 1.0 }}", "None True True True")]
    [InlineData("{{ [1, 'a', none, true, {'k': 2.0}] }}", "[1, 'a', None, True, {'k': 2.0}]")]
    public void Undefined_and_python_values(string source, string expected) => Render(source).ShouldBe(expected);

    [Fact]
    public void Adding_undefined_or_iterating_none_fails() => Fails("{{ 'a' + nope }}").Message.ShouldContain("'nope' is undefined");

    [Fact]
    public void Iterating_none_fails() => Fails("{% for x in none %}{% endfor %}").Message.ShouldContain("NoneType");

    [Theory]
    [InlineData("{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{% endfor %}{{ x }}", "1")]   // set in a for body is local
    [InlineData("{% if true %}{% set y = 'a' %}{% endif %}{{ y }}", "a")]                           // if is no scope
    [InlineData("{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "6")]
    [InlineData("{% set a, b = 1, 2 %}{{ b }}{{ a }}", "21")]
    public void Scoping(string source, string expected) => Render(source).ShouldBe(expected);

    [Theory]
    [InlineData("{% for x in [1, 2, 3, 4] if x != 2 %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}",
        "0TrueFalse3;1FalseFalse14;2FalseTrue3;")]
    [InlineData("{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}", "02")]
    [InlineData("{% for x in [] %}x{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}", "321")]
    [InlineData("{% generation %}x{% endgeneration %}", "x")]
    [InlineData("{{ [1, 2, 3][1:] }} {{ [1, 2, 3][:-1] }} {{ [1, 2, 3][-1] }}", "[2, 3] [1, 2] 3")]
    [InlineData("{{ ' a\tb\r\n'.strip().split() }}|{{ 'x</think>y'.split('</think>')[-1] }}", "['a', 'b']|y")]
    [InlineData("{{ 'a' + ' b ' | trim }}", "ab")]                                  // filters bind tighter than +
    [InlineData("{{ 'Ab'.lower() ~ 'Ab'.upper() ~ 'ab'.startswith('a') ~ 'a-b'.replace('-', '+') }}", "abABTruea+b")]
    [InlineData("{{ (1 == 1) != (3 % 2 == 0) }} {{ -7 % 3 }} {{ 7 // 2 }} {{ 1 + 2.5 }}", "True 2 3 3.5")]
    [InlineData("{{ strftime_now('%d %b %Y') }}", "26 Jul 2024")]
    public void Statements_loops_macros_and_methods(string source, string expected) => Render(source).ShouldBe(expected);

    // Outputs checked against Python Jinja2 3.1.2 in the same environment as transformers.
    [Theory]
    [InlineData("{% for i in [1,2] %}{% if i == 1 %}{% set z = 5 %}{% endif %}{{ z }},{% endfor %}", "5,,")]
    [InlineData("{{ 'abc'[1:] }} {{ 'abc'[-1] }} {{ 'abc' | length }} {{ {'a':1}.get('b', 2) }} {{ 1.5e-7 }} {{ 1e20 }} {{ 3 / 2 }} {{ 4 / 2 }}", "bc c 3 2 1.5e-07 1e+20 1.5 2.0")]
    [InlineData("{{ ('a', 'b') }} {{ 'a' * 3 }} {{ [1] + [2] }} {{ 'x' if false }}|{{ 1 if true else 2 }}", "('a', 'b') aaa [1, 2] |1")]
    [InlineData("{% set d = {'a': 1} %}{{ d.items() | list }} {{ d }}", "[('a', 1)] {'a': 1}")]
    [InlineData("{{ 'Ab c' | title }} {{ 'ab' | capitalize }} {{ 2 ** 10 }} {{ [3,1,2] | sort }} {{ [1,2] | join(',') }}", "Ab C Ab 1024 [1, 2, 3] 1,2")]
    public void Matches_python_jinja(string source, string expected) => Render(source).ShouldBe(expected);

    [Theory]
    [InlineData("{{ none.x }}|{{ 'a' ~ none }}|{{ [1,2] | first }}|{{ m | map(attribute='role') | join(',') }}", "|aNone|1|user,assistant")]
    [InlineData("{{ nope | default('d') }}|{{ '' | default('d', true) }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}", "d|d|['a', 'b,c']|['a b', 'c']")]
    [InlineData("{{ 10 / 4 }} {{ 0.1 + 0.2 }} {{ 1 < 2 < 3 }} {{ 'é' | upper }} {{ not nope is defined }}", "2.5 0.30000000000000004 True É True")]
    [InlineData("{% for a, b in [[1,2],[3,4]] %}{{ a }}{{ b }}{{ loop.length }}{{ loop.revindex }}{{ loop.index }};{% endfor %}", "12221;34212;")]
    [InlineData("{{ ('a', 1) | tojson }} {{ '😀' | tojson }} {{ 'x' in ['x'] }} {{ 'k' in {'k':1} }} {{ 'a' not in 'abc' }}", "[\"a\", 1] \"😀\" True True False")]
    [InlineData("{% macro g(a, b='B') %}{{ a }}{{ b }}{% endmacro %}{{ g('A') }}{{ g('A', b='C') }}{{ g() }}", "ABACB")]
    [InlineData("  {# c #}\nx{{ \"a\" 'b' }}{{ {'a':1,'b':2} | length }}{{ 5 | string + 'a' }}{{ 'x' is string }}{{ 5 is number }}", "xab25aTrueTrue")]
    [InlineData("{% set x %}block {{ 1 }}{% endset %}[{{ x }}]{% for k in {'z':1,'a':2} %}{{ k }}{% endfor %}", "[block 1]za")]
    [InlineData("{{ m[0]['role'] | upper }} {{ m | length }} {{ m[5] is defined }} {{ m[-1].role }}", "USER 2 False assistant")]
    [InlineData("{{ 'Hello World'.startswith(('x', 'He')) }} {{ ' x '.lstrip() }}| {{ 'aXbX'.replace('X', '-', 1) }} {{ 'abc'.find('c') }}", "True x | a-bX 2")]
    [InlineData("{% for m in m %}{{ m.role }}{% endfor %}{{ m | selectattr('role', 'equalto', 'user') | map(attribute='role') | list }}", "userassistant['user']")]
    [InlineData("{{ 3 - 5 }} {{ -3 // 2 }} {{ 2.0 * 3 }} {{ 7 % -3 }} {{ true + 1 }} {{ 1e16 }} {{ 123456789.123 }} {{ 0.0001 }}", "-2 -2 6.0 -2 2 1e+16 123456789.123 0.0001")]
    [InlineData("{% if m %}{% set n = m | length %}{% endif %}{{ n }}{{ m is iterable }}{{ m is mapping }}{{ m[0] is mapping }}{{ m is sequence }}", "2TrueFalseTrueTrue")]
    [InlineData("{{ m | tojson(indent=2) }}", "[\n  {\n    \"role\": \"user\",\n    \"content\": \" hi \"\n  },\n  {\n    \"role\": \"assistant\"\n  }\n]")]
    [InlineData("{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = 5 %}{{ x }}{% endfor %}{{ x }}", "15151")]
    [InlineData("{% macro f() %}{{ top }}{{ m | length }}{% endmacro %}{% set top = 'T' %}{{ f() }}", "T2")]
    [InlineData("{% for i in [1] %}{% for j in [1,2] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}", "121")]
    [InlineData("{% if true %}a{% endif %}  \n  {% if true %}b{% endif %}", "a  \nb")]
    [InlineData("{{ m[0].content | trim }}|{{ m[1].content is defined }}|{{ m[1]['content'] }}|{{ m | last }}", "hi|False||{'role': 'assistant'}")]
    [InlineData("{% set d = {'b': 1, 'a': 2} %}{{ d | dictsort }}{{ d.keys() | list }}{{ d.values() | list }}", "[('a', 2), ('b', 1)]['b', 'a'][1, 2]")]
    [InlineData("{{ '%s-%s' % ('a', 'b') }}", "a-b")]
    public void Matches_python_jinja_on_messages(string source, string expected) =>
        Render(source, """{"m": [{"role": "user", "content": " hi "}, {"role": "assistant"}]}""").ShouldBe(expected);

    [Fact]
    public void Loop_unpacking_keeps_key_order() =>
        Render("{% for k, v in d | items %}{{ k }}={{ v }},{% endfor %}{% for k, v in d.items() %}{{ k }}{% endfor %}", """{"d": {"z": 1, "a": 2}}""")
            .ShouldBe("z=1,a=2,za");

    [Fact]
    public void Selectattr_with_equalto() =>
        Render("{{ m | selectattr('role', 'equalto', 'user') | list | length }}", """{"m": [{"role": "user"}, {"role": "x"}, {"role": "user"}]}""")
            .ShouldBe("2");

    [Fact]
    public void Raise_exception_carries_exactly_the_message() =>
        Should.Throw<TemplateRaisedException>(() => Render("x{{ raise_exception('Roles must alternate') }}")).Message.ShouldBe("Roles must alternate");

    [Theory]
    [InlineData("{% for i in range(1000000) %}{% endfor %}", "loop iterations")]
    [InlineData("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "loop iterations")]
    [InlineData("{% for i in range(90000) %}xxxxxxxxxxxxxxxxxxxx{% endfor %}", "output characters")]
    [InlineData("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "nested macro calls")]
    [InlineData("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", "characters in a value")]
    [InlineData("{% macro f(s, n) %}{% if n > 0 %}{{ f(s.replace('a', 'aaaaaaaaaa'), n - 1) | length }}{% endif %}{% endmacro %}{{ f('a', 20) }}", "characters in a value")]
    [InlineData("{% set l = ['x' * 100000] %}{% set ns = namespace(l=l) %}{% for i in range(20) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}{{ ns.l | tojson }}", "characters in a value")]
    public void Sandbox_limits_stop_runaway_templates(string source, string limit) => Fails(source).Message.ShouldContain(limit);

    [Fact]
    public void Deep_nesting_fails_cleanly()
    {
        Fails("{{ " + new string('(', 100_000) + "1" + new string(')', 100_000) + " }}").Message.ShouldContain("nesting too deep");
        Fails(string.Concat(Enumerable.Repeat("{% if true %}", 100_000))).Message.ShouldContain("nesting too deep");
    }

    [Fact]
    public void Smaller_limits_apply() =>
        Fails("{% for i in range(20) %}{% endfor %}", limits: new TemplateLimits(MaxLoopIterations: 10)).Message.ShouldContain("more than 10 loop iterations");

    [Theory]
    [InlineData("a\n{% include 'x' %}", "unsupported tag 'include'", 2)]
    [InlineData("\n\n{{ x | bogus }}", "unsupported filter 'bogus'", 3)]
    [InlineData("{{ x is bogus }}", "unsupported test 'bogus'", 1)]
    [InlineData("\n{{ 'a'.zfill(3) }}", "unsupported method 'zfill'", 2)]
    [InlineData("{{ m.GetType() }}", "unsupported method 'GetType'", 1)]
    [InlineData("\n{{ x + }}", "unexpected", 2)]
    [InlineData("{% if x %}\nabc\n{% for %}", "expected", 3)]
    public void Unsupported_constructs_and_syntax_errors_name_the_line(string source, string what, int line)
    {
        var e = Fails(source, """{"m": []}""");
        e.Message.ShouldContain(what);
        e.Message.ShouldContain($"(line {line})");
    }

    [Fact]
    public void Plain_dotnet_values_are_accepted()
    {
        var messages = new List<object?>
        {
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "hi" },
            new Dictionary<string, string> { ["role"] = "assistant", ["content"] = "yo" },
        };
        ChatTemplate.Parse("{% for m in messages %}{{ m.role }}:{{ m['content'] }};{% endfor %}{{ n + 1 }}{{ f }}")
            .Render(new Dictionary<string, object?> { ["messages"] = messages, ["n"] = 41, ["f"] = true })
            .ShouldBe("user:hi;assistant:yo;42True");
    }

    [Fact]
    public void Other_dotnet_objects_are_refused_not_reflected_on() =>
        Should.Throw<SteerException>(() => ChatTemplate.Parse("{{ x }}").Render(new Dictionary<string, object?> { ["x"] = new Uri("http://a") }))
            .Message.ShouldContain("unsupported variable type");

    [Fact]
    public void Parsed_templates_are_cached_and_reusable()
    {
        var t = ChatTemplate.Parse("{{ x }}!");
        ChatTemplate.Parse("{{ x }}!").ShouldBeSameAs(t);
        t.Render(new Dictionary<string, object?> { ["x"] = "a" }).ShouldBe("a!");
        t.Render(new Dictionary<string, object?> { ["x"] = 2 }).ShouldBe("2!");
    }
}
