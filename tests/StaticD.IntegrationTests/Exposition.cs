using System.Globalization;

namespace StaticD.IntegrationTests;

/// <summary>A parsed exposition: samples by "name{labels}", and the HELP and TYPE lines.</summary>
internal sealed class Exposition
{
    public Exposition(string text)
    {
        Text = text;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ', 4);
            if (line.StartsWith("# HELP ", StringComparison.Ordinal)) Helps.Add(parts[2]);
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal)) Types[parts[2]] = parts[3];
            else
            {
                int space = line.LastIndexOf(' ');
                Samples[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
        }
        Version = Samples.Keys.Single(k => k.StartsWith("staticd_build_info{", StringComparison.Ordinal)).Split('"')[1];
    }

    public string Text { get; }
    public string Version { get; }
    public Dictionary<string, double> Samples { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Helps { get; } = new(StringComparer.Ordinal);

    public double this[string key] =>
        Samples.TryGetValue(key, out double v) ? v : throw new Xunit.Sdk.XunitException($"no sample {key} in\n{Text}");

    public double Sum(string prefix) => Samples.Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(s => s.Value);
}
