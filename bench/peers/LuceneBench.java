/*
 * LuceneBench.java: Apache Lucene 8 (Debian liblucene8-java) as a benchmark
 * peer, with the same command line and JSON output as the Python runners
 * (see common.py):
 *   java LuceneBench index CORPUS.tsv INDEX_DIR [--threads N]
 *   java LuceneBench search INDEX_DIR QUERIES.txt [--k 10,1000] [--budget S] [--repeat R]
 * Analysis: StandardAnalyzer without stopwords (Unicode word breaks,
 * lowercase); fields: id (stored), text (positions, stored) like quarry.
 * Scoring: BM25Similarity(k1 = 0.9, b = 0.4), Lucene's idf. Query: a
 * BooleanQuery of SHOULD TermQuerys; TopScoreDocCollector with a total-hits
 * threshold of k, so block-max WAND prunes as soon as k hits are found.
 * Warm-up: at least five untimed passes and 3 s (JIT), not one. CPU time
 * is the searching thread's (JIT and GC threads are not counted).
 * Indexing uses N threads pulling lines from one reader (Lucene's
 * IndexWriter is thread-safe); the JVM's JIT is warmed by the untimed pass.
 */
import java.io.BufferedReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopScoreDocCollector;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;

public class LuceneBench {
  static final float K1 = 0.9f, B = 0.4f;

  static String opt(String[] a, String name, String def) {
    for (int i = 0; i + 1 < a.length; i++)
      if (a[i].equals(name)) return a[i + 1];
    return def;
  }

  static void index(String corpus, String dir, int threads) throws Exception {
    IndexWriterConfig cfg = new IndexWriterConfig(new StandardAnalyzer(CharArraySet.EMPTY_SET));
    cfg.setSimilarity(new BM25Similarity(K1, B));
    cfg.setRAMBufferSizeMB(512);
    cfg.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    /* Separate files (no compound .cfs) so the postings (.doc) can be measured. */
    cfg.setUseCompoundFile(false);
    TieredMergePolicy mp = new TieredMergePolicy();
    mp.setNoCFSRatio(0.0);
    cfg.setMergePolicy(mp);
    long t0 = System.nanoTime();
    final long[] count = {0};
    try (IndexWriter w = new IndexWriter(FSDirectory.open(Paths.get(dir)), cfg);
         BufferedReader r = Files.newBufferedReader(Paths.get(corpus), StandardCharsets.UTF_8)) {
      List<Thread> pool = new ArrayList<>();
      final Exception[] err = {null};
      for (int t = 0; t < threads; t++) {
        Thread th = new Thread(() -> {
          try {
            while (true) {
              String line;
              synchronized (r) {
                line = r.readLine();
                if (line != null) count[0]++;
              }
              if (line == null) break;
              int tab = line.indexOf('\t');
              Document d = new Document();
              d.add(new StoredField("id", Long.parseLong(line.substring(0, tab))));
              d.add(new TextField("text", line.substring(tab + 1), Field.Store.YES));
              w.addDocument(d);
            }
          } catch (Exception e) {
            synchronized (err) { err[0] = e; }
          }
        });
        th.start();
        pool.add(th);
      }
      for (Thread th : pool) th.join();
      if (err[0] != null) throw err[0];
      w.commit();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf(Locale.ROOT, "{\"seconds\": %.6f, \"passages\": %d}%n", secs, count[0]);
  }

  static void search(String dir, String queries, String ks, double budget, int repeat) throws IOException {
    List<String[]> qs = new ArrayList<>();
    for (String l : Files.readAllLines(Paths.get(queries), StandardCharsets.UTF_8))
      if (!l.isBlank()) qs.add(l.trim().split("\\s+"));
    StringBuilder out = new StringBuilder("{\"k\": {");
    try (DirectoryReader reader = DirectoryReader.open(FSDirectory.open(Paths.get(dir)))) {
      IndexSearcher s = new IndexSearcher(reader);
      s.setSimilarity(new BM25Similarity(K1, B));
      List<Query> prepared = new ArrayList<>();
      for (String[] q : qs) {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (String t : q) b.add(new TermQuery(new Term("text", t)), BooleanClause.Occur.SHOULD);
        prepared.add(b.build());
      }
      String[] kl = ks.split(",");
      for (int ki = 0; ki < kl.length; ki++) {
        int k = Integer.parseInt(kl[ki]);
        long start = System.nanoTime(), end = start + (long) (budget * 1e9);
        /* Warm-up: at least 5 untimed passes and 3 seconds (the JIT needs
         * thousands of calls to compile the scoring loops), within the budget. */
        warm:
        for (int pass = 0; pass < 5 || System.nanoTime() - start < 3_000_000_000L; pass++)
          for (Query q : prepared) {
            TopScoreDocCollector c = TopScoreDocCollector.create(k, k);
            s.search(q, c);
            c.topDocs();
            if (System.nanoTime() > end) break warm;
          }
        double[][] times = new double[prepared.size()][repeat], cpus = new double[prepared.size()][repeat];
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int[] nt = new int[prepared.size()];
        StringBuilder lat = new StringBuilder(), hits = new StringBuilder();
        end = System.nanoTime() + (long) (budget * 1e9);
        timed:
        for (int r = 0; r < repeat; r++)
          for (int i = 0; i < prepared.size(); i++) {
            long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            TopScoreDocCollector c = TopScoreDocCollector.create(k, k);
            s.search(prepared.get(i), c);
            int h = c.topDocs().scoreDocs.length;
            long t1 = System.nanoTime();
            cpus[i][nt[i]] = (mx.getCurrentThreadCpuTime() - c0) / 1000.0;
            times[i][nt[i]++] = (t1 - t0) / 1000.0;
            if (r == 0 && i < 20) hits.append(i == 0 ? "" : ", ").append(h);
            if (System.nanoTime() > end) break timed;
          }
        StringBuilder cpu = new StringBuilder();
        for (int i = 0; i < prepared.size() && nt[i] > 0; i++) {
          double[] t = java.util.Arrays.copyOf(times[i], nt[i]), u = java.util.Arrays.copyOf(cpus[i], nt[i]);
          java.util.Arrays.sort(t);
          java.util.Arrays.sort(u);
          lat.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", t[(nt[i] - 1) / 2]));
          cpu.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", u[(nt[i] - 1) / 2]));
        }
        out.append(ki == 0 ? "" : ", ").append('"').append(k).append("\": {\"lat_us\": [").append(lat)
            .append("], \"cpu_us\": [").append(cpu).append("], \"hits\": [").append(hits).append("]}");
      }
    }
    System.out.println(out.append("}}"));
  }

  public static void main(String[] a) throws Exception {
    if (a.length >= 3 && a[0].equals("index"))
      index(a[1], a[2], Integer.parseInt(opt(a, "--threads", "" + Runtime.getRuntime().availableProcessors())));
    else if (a.length >= 3 && a[0].equals("search"))
      search(a[1], a[2], opt(a, "--k", "10,1000"), Double.parseDouble(opt(a, "--budget", "120")),
             Integer.parseInt(opt(a, "--repeat", "3")));
    else {
      System.err.println("usage: LuceneBench index CORPUS DIR [--threads N] | search DIR QUERIES [--k 10,1000] [--budget S] [--repeat R]");
      System.exit(2);
    }
  }
}
