using StaticD.Logging;
using Xunit;

namespace StaticD.Tests.Logging;

/// <summary>The "&lt;N&gt;" prefix on the command line's stderr lines: there when stderr is the journal, never on a
/// terminal or pipe.</summary>
public sealed class ErrorOutputTests
{
    [Fact]
    public void ErrorLinesToTheJournalArePriorityThree() =>
        Assert.Equal("<3>staticd: bad\n", ErrorOutput.Format("staticd: bad", ErrorOutput.ErrorPriority, toJournal: true));

    [Fact]
    public void WarningLinesToTheJournalArePriorityFour() =>
        Assert.Equal("<4>staticd: warning: hm\n", ErrorOutput.Format("staticd: warning: hm", ErrorOutput.WarningPriority, toJournal: true));

    [Fact]
    public void EveryLineOfAMultiLineErrorIsPrefixed() =>
        Assert.Equal("<3>one\n<3>two\n<3>Usage: x\n", ErrorOutput.Format("one\ntwo\nUsage: x", ErrorOutput.ErrorPriority, toJournal: true));

    [Fact]
    public void NotTheJournalLeavesLinesAsTheyAre() =>
        Assert.Equal("one\ntwo\n", ErrorOutput.Format("one\ntwo", ErrorOutput.ErrorPriority, toJournal: false));

    [Fact]
    public void StderrOfThisTestIsNotTakenForTheJournalWithoutAMatchingJournalStream()
    {
        // The decision ErrorOutput makes for fd 2: an inherited JOURNAL_STREAM naming another stream is ignored.
        Assert.False(JournalSink.IsJournalStream("0:1", fd: 2));
        Assert.False(JournalSink.IsJournalStream(null, fd: 2));
    }
}
