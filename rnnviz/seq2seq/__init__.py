"""Lesson 7: sequence to sequence and attention.

tokens.py     <pad>/<sos>/<eos> conventions shared by both tasks
dates.py      DateTask: dates in words -> digits ("twenty one march" -> "21-03"), words or chars
captions.py   CaptionTask + CaptionModel: toy grid images -> "red square left of blue circle"
attention.py  dot-product and additive scores, masked softmax alpha_{t,s}, context c_s
decoder.py    AttnDecoder (stepped GRUCell/LSTMCell + attention), EncoderDecoder loss / exact match
model.py      Seq2Seq: fused nn.GRU/nn.LSTM encoder + AttnDecoder, for the date task
trace.py      every number of one decoded input (scores, alpha, c_s, d_s, p(y_s)) as arrays
evaluate.py   exact match against input length; with vs without attention on one budget
focus.py      where the weights go (spaces, decided / open letters, the field being written), and why
mistakes.py   the softmax written with the wrong index (every weight 1/T) and what the model then answers
predict.py    the predict-first question: which input position gets the largest weight at a step
"""
