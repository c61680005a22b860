// One cell of the weight-stationary systolic array (see docs/rtl.md).
//
// The cell holds one weight. During preload the weights shift down the
// column one row per cycle (w_in -> w_out), so the array loads in ROWS
// cycles with no row decoders. While streaming, the activation moves one
// cell right per cycle and the partial sum one cell down per cycle; both are
// registered, so every cell adds exactly one cycle of latency in each
// direction and the skew between rows and columns stays exact.
module mac_cell (
    input  logic               clk,
    input  logic               w_shift,   // preload beat: take w_in as the new weight
    input  logic signed [ 8:0] w_in,
    output logic signed [ 8:0] w_out,     // the held weight, also the next row's w_in
    input  logic signed [ 8:0] a_in,
    output logic signed [ 8:0] a_out,
    input  logic signed [31:0] psum_in,
    output logic signed [31:0] psum_out
);
  // 9 x 9 signed bits: |product| <= 2^16, so 18 bits hold it exactly.
  logic signed [17:0] product;
  assign product = 18'(a_in) * 18'(w_out);

  always_ff @(posedge clk) begin
    if (w_shift) w_out <= w_in;
    a_out    <= a_in;
    psum_out <= psum_in + 32'(product);  // int32 wrap-around, as the ISA defines
  end
endmodule
