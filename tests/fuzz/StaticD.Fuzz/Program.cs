using SharpFuzz;
using StaticD.Fuzzing;

// No arguments: the AFL++ target. Fuzzer.Run is SharpFuzz's persistent mode: one process runs many
// inputs, each read from the stream afl-fuzz provides. An exception escaping FuzzEntry.Run is a crash.
// With arguments: replays the given files (or every file in the given directories) once each and
// reports which ones throw; used by run.sh to triage crashes.
if (args.Length == 0)
{
    var buffer = new byte[1 << 20];
    Fuzzer.Run(stream =>
    {
        int length = 0;
        int n;
        while (length < buffer.Length && (n = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += n;
        }

        FuzzEntry.Run(buffer.AsSpan(0, length));
    });
    return 0;
}

int failures = 0;
foreach (var arg in args)
{
    var files = Directory.Exists(arg) ? Directory.GetFiles(arg) : [arg];
    foreach (var file in files)
    {
        try
        {
            FuzzEntry.Run(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failures++;
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
        }
    }
}

Console.WriteLine(failures == 0 ? "no input throws" : $"{failures} input(s) throw");
return failures == 0 ? 0 : 1;
