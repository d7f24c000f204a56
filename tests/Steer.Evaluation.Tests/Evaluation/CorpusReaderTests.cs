using System.Text;
using Steer.Evaluation.Corpus;
using Steer.Tests.IO;

namespace Steer.Tests.Evaluation;

/// <summary>Corpus files read one document at a time: JSONL or blank-line-separated text.</summary>
public sealed class CorpusReaderTests
{
    [Fact]
    public void Jsonl_gives_each_lines_text_with_its_line_number_and_skips_blank_lines()
    {
        // Arrange
        var corpus = CorpusReader.FromText("c.jsonl", "{\"text\": \"First one.\", \"url\": \"x\"}\n\n  {\"text\":\"Second\\nline.\"}\r\n");

        // Act
        var documents = corpus.Documents().ToList();

        // Assert
        corpus.Format().ShouldBe(CorpusFormat.Jsonl);
        documents.ShouldBe([new CorpusDocument(1, "First one."), new CorpusDocument(3, "Second\nline.")]);
    }

    [Fact]
    public void Plain_text_splits_documents_at_blank_lines_and_joins_their_lines()
    {
        // Arrange
        var corpus = CorpusReader.FromText("c.txt", "\nThe first document\nhas two lines.\n   \n\nThe second.\r\n\r\nThe third, at the end");

        // Act
        var documents = corpus.Documents().ToList();

        // Assert
        corpus.Format().ShouldBe(CorpusFormat.Paragraphs);
        documents.ShouldBe([new CorpusDocument(2, "The first document\nhas two lines."), new CorpusDocument(6, "The second."),
            new CorpusDocument(8, "The third, at the end")]);
    }

    [Theory]
    [InlineData("{\"text\": \"ok\"}\n{\"text\": 3}\n", "line 2 has a \"text\" that is not a string")]
    [InlineData("{\"text\": \"ok\"}\n\n{\"body\": \"x\"}\n", "line 3 has no \"text\"")]
    [InlineData("{\"text\": \"ok\"}\n[1, 2]\n", "line 2 is not a JSON object")]
    [InlineData("{\"text\": \"ok\"}\n{\"text\": \"cut\n", "line 2 is not valid JSON")]
    public void A_malformed_jsonl_line_is_an_invalid_file_error_naming_its_line(string text, string message)
    {
        // Arrange
        var corpus = CorpusReader.FromText("c.jsonl", text);

        // Act
        var error = Should.Throw<SteerException>(() => corpus.Documents().ToList());

        // Assert
        error.Kind.ShouldBe(ErrorKind.InvalidModel);
        error.Message.ShouldContain("c.jsonl " + message);
    }

    [Fact]
    public void A_missing_file_is_not_found()
    {
        // Act
        var error = Should.Throw<SteerException>(() => CorpusReader.FromFile("/nonexistent/corpus.jsonl"));

        // Assert
        error.Kind.ShouldBe(ErrorKind.NotFound);
    }

    [Fact]
    public void A_large_file_is_read_lazily_the_first_document_arrives_before_a_late_malformed_line_is_reached()
    {
        // Arrange: about 8 MB of documents, then a broken line.
        using var directory = new TempDirectory();
        var path = directory.File("big.jsonl");
        const int lines = 100_000;
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
        {
            for (var i = 0; i < lines; i++) writer.WriteLine($"{{\"text\": \"Document {i} is about ships and grain and the sea and nothing else at all.\"}}");
            writer.WriteLine("{\"text\": broken");
        }
        var shares = new List<double>();
        var corpus = CorpusReader.FromFile(path);

        // Act
        using var documents = corpus.Documents(shares.Add).GetEnumerator();
        documents.MoveNext().ShouldBeTrue();
        var first = documents.Current;
        var readAtFirst = shares[^1];
        var count = 1;
        var error = Should.Throw<SteerException>(() =>
        {
            while (documents.MoveNext()) count++;
        });

        // Assert
        first.ShouldBe(new CorpusDocument(1, "Document 0 is about ships and grain and the sea and nothing else at all."));
        readAtFirst.ShouldBeLessThan(0.01);
        count.ShouldBe(lines);
        error.Message.ShouldContain($"line {lines + 1} is not valid JSON");
    }
}
