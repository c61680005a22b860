// Weight-stationary int8 systolic array: the reference RTL for the matrix
// unit's cost model (docs/timing.md "Matrix unit"; structure and timing
// diagram in docs/rtl.md).
//
// Cell (r, c) holds weight W[k = r][n = c]. One pass:
//   1. start + ROWS weight beats (w_valid): rows shift in at the top, so the
//      row fed first ends in the bottom row (feed row ROWS-1 first).
//   2. num_vectors input beats (in_valid while in_ready): one ROWS-wide
//      vector per cycle; the skew buffer delays element r by r cycles.
//   3. Outputs: one COLS-wide int32 vector per input vector, de-skewed, with
//      out_valid; done marks the pass's last one.
// A new start is accepted in the cycle done is high (start_ready), so passes
// run back to back with no idle cycle. Streaming never overlaps the preload:
// the weights are single-buffered, which is what the cost model assumes.
module systolic_array #(
    parameter int ROWS = 16,
    parameter int COLS = 16
) (
    input  logic               clk,
    input  logic               rst_n,
    // control
    input  logic               start,        // begin a pass (when start_ready)
    input  logic        [31:0] num_vectors,  // P >= 1, latched with start
    output logic               start_ready,
    output logic               busy,
    output logic               done,         // high with the pass's last output vector
    // weight preload, from the start cycle on
    input  logic               w_valid,
    input  logic signed [ 8:0] w_row      [COLS],
    // input vectors
    input  logic               in_valid,
    output logic               in_ready,
    input  logic signed [ 8:0] in_vec     [ROWS],
    // results
    output logic               out_valid,
    output logic signed [31:0] out_vec    [COLS]
);
  // Cycles from an input beat to its output: one register per cell on the
  // path through row 0 (COLS - 1 hops right) and down column c (ROWS cells),
  // with the de-skew topping every column up to the same total.
  localparam int Latency = ROWS + COLS - 1;

  typedef enum logic [1:0] {
    Idle,
    Load,
    Stream,
    Drain
  } state_e;

  state_e        state;
  logic   [31:0] rows_loaded;  // weight beats taken in this pass
  logic   [31:0] vectors_in;  // input beats taken in this pass
  logic   [31:0] vectors_total;  // P of this pass
  logic start_fire, w_shift, in_fire, in_last, load_complete;

  assign start_ready = state == Idle || done;
  assign start_fire = start && start_ready;
  assign w_shift = w_valid && (start_fire || state == Load);
  assign in_ready = state == Stream;
  assign in_fire = in_valid && in_ready;
  assign in_last = in_fire && vectors_in == vectors_total - 1;
  assign busy = state != Idle;
  // The beat that brings the loaded count to ROWS (start may be that beat).
  assign load_complete = w_shift && (start_fire ? ROWS == 1 : rows_loaded == 32'(ROWS - 1));

  // ---- control: Idle -> Load -> Stream -> Drain -> (Idle | Load) ----
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state <= Idle;
    end else if (start_fire) begin
      state <= load_complete ? Stream : Load;
      vectors_total <= num_vectors;
    end else begin
      case (state)
        Load:    if (load_complete) state <= Stream;
        Stream:  if (in_last) state <= Drain;
        Drain:   if (done) state <= Idle;
        default: ;
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (start_fire) rows_loaded <= w_shift ? 1 : 0;
    else if (w_shift) rows_loaded <= rows_loaded + 1;
    if (start_fire) vectors_in <= 0;
    else if (in_fire) vectors_in <= vectors_in + 1;
  end

  // ---- valid/last tokens travel beside the data, Latency cycles ----
  logic [Latency-1:0] valid_pipe, last_pipe;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      valid_pipe <= '0;
      last_pipe  <= '0;
    end else begin
      valid_pipe <= (valid_pipe << 1) | Latency'(in_fire);
      last_pipe  <= (last_pipe << 1) | Latency'(in_last);
    end
  end
  assign out_valid = valid_pipe[Latency-1];
  assign done = out_valid && last_pipe[Latency-1];

  // ---- the array ----
  // Boundary wires: a_bus[r][COLS], w_bus[ROWS][c] leave the array unused.
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [ 8:0] a_bus   [ROWS][COLS+1];  // activations, flowing right
  logic signed [ 8:0] w_bus   [ROWS+1][COLS];  // weights, shifting down at preload
  /* verilator lint_on UNUSEDSIGNAL */
  logic signed [31:0] psum_bus[ROWS+1][COLS];  // partial sums, flowing down

  for (genvar r = 0; r < ROWS; r++) begin : g_skew
    // Bubbles enter as zeros, so idle cells multiply by zero.
    logic signed [8:0] a_gated;
    assign a_gated = in_fire ? in_vec[r] : '0;
    delay_line #(.WIDTH(9), .DEPTH(r)) u_skew (.clk, .d(a_gated), .q(a_bus[r][0]));
  end

  for (genvar c = 0; c < COLS; c++) begin : g_top
    assign w_bus[0][c] = w_row[c];
    assign psum_bus[0][c] = '0;
  end

  for (genvar r = 0; r < ROWS; r++) begin : g_row
    for (genvar c = 0; c < COLS; c++) begin : g_col
      mac_cell u_cell (
          .clk,
          .w_shift,
          .w_in    (w_bus[r][c]),
          .w_out   (w_bus[r+1][c]),
          .a_in    (a_bus[r][c]),
          .a_out   (a_bus[r][c+1]),
          .psum_in (psum_bus[r][c]),
          .psum_out(psum_bus[r+1][c])
      );
    end
  end

  for (genvar c = 0; c < COLS; c++) begin : g_deskew
    delay_line #(.WIDTH(32), .DEPTH(COLS - 1 - c)) u_deskew (
        .clk,
        .d(psum_bus[ROWS][c]),
        .q(out_vec[c])
    );
  end
endmodule
